#include "renderer/frame_data.h"

#include "renderer/vk_check.h"
#include "renderer/vk_struct.h"
#include "renderer/vulkan_context.h"

namespace shape::render {

FramesInFlight::FramesInFlight(VulkanContext& context) : device_(context.device()) {
  try {
    for (FrameData& frame : frames_) {
      auto pool_info = vk_struct<VkCommandPoolCreateInfo>(VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO);
      pool_info.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;  // reset as a whole every frame
      pool_info.queueFamilyIndex = context.graphics_queue_family();
      VK_CHECK(vkCreateCommandPool(device_, &pool_info, nullptr, &frame.command_pool));
      auto allocate = vk_struct<VkCommandBufferAllocateInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO);
      allocate.commandPool = frame.command_pool;
      allocate.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
      allocate.commandBufferCount = 1;
      VK_CHECK(vkAllocateCommandBuffers(device_, &allocate, &frame.command_buffer));
      auto fence_info = vk_struct<VkFenceCreateInfo>(VK_STRUCTURE_TYPE_FENCE_CREATE_INFO);
      fence_info.flags = VK_FENCE_CREATE_SIGNALED_BIT;
      VK_CHECK(vkCreateFence(device_, &fence_info, nullptr, &frame.in_flight));
      auto semaphore_info = vk_struct<VkSemaphoreCreateInfo>(VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO);
      VK_CHECK(vkCreateSemaphore(device_, &semaphore_info, nullptr, &frame.image_available));
    }
  } catch (...) {
    release();
    throw;
  }
}

FramesInFlight::~FramesInFlight() { release(); }

void FramesInFlight::release() {
  for (FrameData& frame : frames_) {
    if (frame.in_flight) vkWaitForFences(device_, 1, &frame.in_flight, VK_TRUE, UINT64_MAX);
  }
  for (auto it = frames_.rbegin(); it != frames_.rend(); ++it) {
    if (it->image_available) vkDestroySemaphore(device_, it->image_available, nullptr);
    if (it->in_flight) vkDestroyFence(device_, it->in_flight, nullptr);
    if (it->command_pool) vkDestroyCommandPool(device_, it->command_pool, nullptr);  // frees its buffer
    *it = FrameData{};
  }
}

}  // namespace shape::render
