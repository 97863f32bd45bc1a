// Per-frame objects for two frames in flight: while the GPU renders frame N, the CPU records N+1.
// Each frame has its own command pool/buffer, a fence that says the GPU is done with it, and the
// semaphore the swapchain signals when its image is ready. ("Render finished" semaphores belong to
// swapchain images instead, since presentation holds them until that image comes back.)
#pragma once

#include <vulkan/vulkan.h>

#include <array>
#include <cstdint>

namespace shape::render {

class VulkanContext;

struct FrameData {
  VkCommandPool command_pool = VK_NULL_HANDLE;
  VkCommandBuffer command_buffer = VK_NULL_HANDLE;
  VkFence in_flight = VK_NULL_HANDLE;  // created signalled: the first wait passes
  VkSemaphore image_available = VK_NULL_HANDLE;
};

class FramesInFlight {
 public:
  static constexpr uint32_t kCount = 2;

  explicit FramesInFlight(VulkanContext& context);
  ~FramesInFlight();
  FramesInFlight(const FramesInFlight&) = delete;
  FramesInFlight& operator=(const FramesInFlight&) = delete;

  FrameData& current() { return frames_[index_]; }
  uint32_t index() const { return index_; }
  void advance() { index_ = (index_ + 1) % kCount; }

 private:
  void release();

  VkDevice device_;
  std::array<FrameData, kCount> frames_{};
  uint32_t index_ = 0;
};

}  // namespace shape::render
