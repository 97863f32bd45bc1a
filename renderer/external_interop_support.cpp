#include "renderer/external_interop_support.h"

#include "renderer/vk_struct.h"

namespace shape::render {
namespace {

constexpr auto kOpaqueFdMemory = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
constexpr auto kOpaqueFdSemaphore = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT;

VkExternalMemoryProperties shared_buffer_properties(VkPhysicalDevice physical_device) {
  auto info = vk_struct<VkPhysicalDeviceExternalBufferInfo>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_BUFFER_INFO);
  info.usage = kSharedPixelBufferUsage;
  info.handleType = kOpaqueFdMemory;
  auto properties = vk_struct<VkExternalBufferProperties>(VK_STRUCTURE_TYPE_EXTERNAL_BUFFER_PROPERTIES);
  vkGetPhysicalDeviceExternalBufferProperties(physical_device, &info, &properties);
  return properties.externalMemoryProperties;
}

bool timeline_semaphore_exportable(VkPhysicalDevice physical_device) {
  auto type = vk_struct<VkSemaphoreTypeCreateInfo>(VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO);
  type.semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE;
  auto info = vk_struct<VkPhysicalDeviceExternalSemaphoreInfo>(
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_SEMAPHORE_INFO);
  info.pNext = &type;
  info.handleType = kOpaqueFdSemaphore;
  auto properties = vk_struct<VkExternalSemaphoreProperties>(VK_STRUCTURE_TYPE_EXTERNAL_SEMAPHORE_PROPERTIES);
  vkGetPhysicalDeviceExternalSemaphoreProperties(physical_device, &info, &properties);
  return (properties.externalSemaphoreFeatures & VK_EXTERNAL_SEMAPHORE_FEATURE_EXPORTABLE_BIT) != 0;
}

}  // namespace

ExternalInteropSupport query_external_interop_support(const VulkanContext& context) {
  const DeviceInfo& device = context.device_info();
  ExternalInteropSupport support;
  support.device_uuid = device.device_uuid;
  if (device.external_memory_fd) {
    const VkExternalMemoryProperties memory = shared_buffer_properties(context.physical_device());
    support.memory_fd_export = (memory.externalMemoryFeatures & VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT) != 0;
    support.memory_dedicated_only =
        (memory.externalMemoryFeatures & VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT) != 0;
  }
  // Timeline semaphores: the producer signals "frame N is written" and the copy waits for N, so a
  // skipped frame never leaves a binary semaphore signalled with no waiter.
  if (device.external_semaphore_fd && device.timeline_semaphores) {
    support.semaphore_fd_export = timeline_semaphore_exportable(context.physical_device());
  }
  return support;
}

}  // namespace shape::render
