#include "gpu_interop/cuda_external_semaphore.h"

#include "gpu_interop/cuda_check.h"
#include "gpu_interop/cuda_devices.h"

#include <unistd.h>

#include <optional>

namespace shape::gpu {

CudaExternalTimelineSemaphore::CudaExternalTimelineSemaphore(int fd, int device) : device_(device) {
  std::optional<CudaDeviceScope> on_device;
  try {
    on_device.emplace(device);
  } catch (...) {
    close(fd);
    throw;
  }
  cudaExternalSemaphoreHandleDesc handle{};
  handle.type = cudaExternalSemaphoreHandleTypeTimelineSemaphoreFd;
  handle.handle.fd = fd;
  const cudaError_t imported = cudaImportExternalSemaphore(&semaphore_, &handle);
  if (imported != cudaSuccess) {
    close(fd);
    throw_cuda_error(imported, "cudaImportExternalSemaphore");
  }
}

CudaExternalTimelineSemaphore::~CudaExternalTimelineSemaphore() { cudaDestroyExternalSemaphore(semaphore_); }

void CudaExternalTimelineSemaphore::signal(uint64_t value, cudaStream_t stream) const {
  cudaExternalSemaphoreSignalParams params{};
  params.params.fence.value = value;
  CUDA_CHECK(cudaSignalExternalSemaphoresAsync(&semaphore_, &params, 1, stream));
}

void CudaExternalTimelineSemaphore::wait(uint64_t value, cudaStream_t stream) const {
  cudaExternalSemaphoreWaitParams params{};
  params.params.fence.value = value;
  CUDA_CHECK(cudaWaitExternalSemaphoresAsync(&semaphore_, &params, 1, stream));
}

}  // namespace shape::gpu
