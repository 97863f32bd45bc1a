// A Vulkan timeline semaphore exported as an opaque fd (renderer/exportable_semaphore.h), imported
// into CUDA. Signals and waits are queued on a stream, so they order against that stream's work
// only, never the whole device.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace shape::gpu {

class CudaExternalTimelineSemaphore {
 public:
  // Takes ownership of `fd` (closed here when the import fails).
  CudaExternalTimelineSemaphore(int fd, int device);
  ~CudaExternalTimelineSemaphore();
  CudaExternalTimelineSemaphore(const CudaExternalTimelineSemaphore&) = delete;
  CudaExternalTimelineSemaphore& operator=(const CudaExternalTimelineSemaphore&) = delete;

  // Sets the semaphore to `value` once the work queued on `stream` so far is done.
  void signal(uint64_t value, cudaStream_t stream) const;
  // Work queued on `stream` after this waits until the semaphore reaches `value`.
  void wait(uint64_t value, cudaStream_t stream) const;
  int device() const { return device_; }

 private:
  cudaExternalSemaphore_t semaphore_ = nullptr;
  int device_ = 0;
};

}  // namespace shape::gpu
