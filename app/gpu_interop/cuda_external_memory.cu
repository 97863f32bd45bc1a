#include "gpu_interop/cuda_external_memory.h"

#include "gpu_interop/cuda_check.h"
#include "gpu_interop/cuda_devices.h"

#include <unistd.h>

#include <optional>

namespace shape::gpu {

CudaExternalMemory::CudaExternalMemory(int fd, std::size_t allocation_size, std::size_t mapped_size, int device)
    : mapped_size_(mapped_size), device_(device) {
  if (mapped_size == 0 || mapped_size > allocation_size) {
    close(fd);
    throw std::invalid_argument("CudaExternalMemory: mapped size must be in (0, allocation size]");
  }
  std::optional<CudaDeviceScope> on_device;
  try {
    on_device.emplace(device);
  } catch (...) {
    close(fd);
    throw;
  }
  cudaExternalMemoryHandleDesc handle{};
  handle.type = cudaExternalMemoryHandleTypeOpaqueFd;
  handle.handle.fd = fd;
  handle.size = allocation_size;
  handle.flags = cudaExternalMemoryDedicated;  // ExportableBuffer always allocates dedicated memory
  const cudaError_t imported = cudaImportExternalMemory(&memory_, &handle);
  if (imported != cudaSuccess) {
    close(fd);  // CUDA took no ownership
    throw_cuda_error(imported, "cudaImportExternalMemory");
  }
  cudaExternalMemoryBufferDesc buffer{};
  buffer.offset = 0;
  buffer.size = mapped_size;
  const cudaError_t mapped = cudaExternalMemoryGetMappedBuffer(&pointer_, memory_, &buffer);
  if (mapped != cudaSuccess) {
    cudaDestroyExternalMemory(memory_);
    throw_cuda_error(mapped, "cudaExternalMemoryGetMappedBuffer");
  }
}

CudaExternalMemory::~CudaExternalMemory() {
  CudaDeviceScope on_device(device_);
  // The mapping is freed like any device allocation, then the import is released.
  cudaFree(pointer_);
  cudaDestroyExternalMemory(memory_);
}

}  // namespace shape::gpu
