// Which CUDA device is the GPU Vulkan draws on: CUDA and Vulkan report the same 16-byte UUID for a
// GPU (cudaDeviceProp::uuid, VkPhysicalDeviceIDProperties::deviceUUID), while their device indices
// need not agree.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace shape::gpu {

using DeviceUuid = std::array<uint8_t, 16>;

// Number of usable CUDA devices; 0 (not an error) without a GPU or driver, with the runtime's reason
// in *why_none when given.
int cuda_device_count(std::string* why_none = nullptr);

// The CUDA device index whose UUID is `uuid`, if any.
std::optional<int> find_cuda_device_by_uuid(const DeviceUuid& uuid);

// Restores the calling thread's current CUDA device on scope exit.
class CudaDeviceScope {
 public:
  explicit CudaDeviceScope(int device);
  ~CudaDeviceScope();
  CudaDeviceScope(const CudaDeviceScope&) = delete;
  CudaDeviceScope& operator=(const CudaDeviceScope&) = delete;

 private:
  int previous_ = 0;
};

}  // namespace shape::gpu
