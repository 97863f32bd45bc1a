#include "gpu_interop/cuda_devices.h"

#include "gpu_interop/cuda_check.h"

#include <cstring>

namespace shape::gpu {

int cuda_device_count(std::string* why_none) {
  int count = 0;
  // Without a GPU or driver the runtime answers an error (cudaErrorInsufficientDriver,
  // cudaErrorNoDevice), which here just means "none".
  const cudaError_t error = cudaGetDeviceCount(&count);
  if (error != cudaSuccess) {
    cudaGetLastError();  // reset the runtime's last error so later calls do not report this one
    if (why_none) *why_none = std::string(cudaGetErrorName(error)) + ": " + cudaGetErrorString(error);
    return 0;
  }
  if (count == 0 && why_none) *why_none = "cudaGetDeviceCount found no device";
  return count;
}

std::optional<int> find_cuda_device_by_uuid(const DeviceUuid& uuid) {
  const int count = cuda_device_count();
  for (int device = 0; device < count; ++device) {
    cudaDeviceProp properties{};
    CUDA_CHECK(cudaGetDeviceProperties(&properties, device));
    static_assert(sizeof(properties.uuid.bytes) == std::tuple_size<DeviceUuid>::value);
    if (std::memcmp(properties.uuid.bytes, uuid.data(), uuid.size()) == 0) return device;
  }
  return std::nullopt;
}

CudaDeviceScope::CudaDeviceScope(int device) {
  CUDA_CHECK(cudaGetDevice(&previous_));
  CUDA_CHECK(cudaSetDevice(device));
}

CudaDeviceScope::~CudaDeviceScope() { cudaSetDevice(previous_); }

}  // namespace shape::gpu
