// Vulkan memory exported as an opaque fd (renderer/exportable_buffer.h), imported into CUDA as a
// dedicated allocation and mapped to a device pointer. Torch-free; see torch_external_tensor.h for
// the LibTorch view of it. Keep it alive while anything (a tensor, a kernel) uses pointer(), and
// destroy it before the Vulkan buffer it came from.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

namespace shape::gpu {

class CudaExternalMemory {
 public:
  // Takes ownership of `fd` (CUDA owns it once imported; it is closed here when the import fails).
  // allocation_size: the Vulkan allocation's size (ExportableBuffer::allocation_size());
  // mapped_size: how many bytes from offset 0 the pointer covers (ExportableBuffer::size()).
  CudaExternalMemory(int fd, std::size_t allocation_size, std::size_t mapped_size, int device);
  ~CudaExternalMemory();
  CudaExternalMemory(const CudaExternalMemory&) = delete;
  CudaExternalMemory& operator=(const CudaExternalMemory&) = delete;

  void* pointer() const { return pointer_; }
  std::size_t size() const { return mapped_size_; }
  int device() const { return device_; }

 private:
  cudaExternalMemory_t memory_ = nullptr;
  void* pointer_ = nullptr;
  std::size_t mapped_size_ = 0;
  int device_ = 0;
};

}  // namespace shape::gpu
