// What the Vulkan device offers for sharing memory and semaphores with CUDA on Linux (opaque fds),
// queried from the driver rather than assumed from the extension list: an extension can be present
// while the handle type is not exportable for the usage we need.
#pragma once

#include "renderer/vulkan_context.h"

#include <vulkan/vulkan.h>

#include <array>
#include <cstdint>

namespace shape::render {

// Buffer usage of the shared preview buffer: CUDA writes it, Vulkan copies it into the texture
// (TRANSFER_DST too, so tests and fallbacks can fill it with a Vulkan copy).
inline constexpr VkBufferUsageFlags kSharedPixelBufferUsage =
    VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;

struct ExternalInteropSupport {
  // VK_KHR_external_memory_fd is enabled and an opaque-fd buffer with kSharedPixelBufferUsage is
  // exportable.
  bool memory_fd_export = false;
  // The driver only exports such memory as a dedicated allocation (ExportableBuffer always makes one).
  bool memory_dedicated_only = false;
  // VK_KHR_external_semaphore_fd is enabled and a timeline semaphore is exportable as an opaque fd.
  bool semaphore_fd_export = false;
  // VkPhysicalDeviceIDProperties::deviceUUID: equal to cudaDeviceProp::uuid of the same GPU.
  std::array<uint8_t, VK_UUID_SIZE> device_uuid{};
};

ExternalInteropSupport query_external_interop_support(const VulkanContext& context);

}  // namespace shape::render
