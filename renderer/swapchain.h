// The window's swapchain (FIFO present mode: vsync, always available), one depth buffer, the render
// pass and a framebuffer per image. recreate() rebuilds everything size-dependent; the render pass
// survives, so pipelines (and ImGui's) built for it stay valid.
#pragma once

#include "renderer/gpu_image.h"

#include <vulkan/vulkan.h>

#include <cstdint>
#include <vector>

namespace shape::render {

class VulkanContext;

struct SwapchainImage {
  VkImage image = VK_NULL_HANDLE;
  VkImageView view = VK_NULL_HANDLE;
  VkFramebuffer framebuffer = VK_NULL_HANDLE;
  // Signalled when this image's frame is rendered, waited for by its presentation.
  VkSemaphore render_finished = VK_NULL_HANDLE;
};

class Swapchain {
 public:
  // `framebuffer_extent` is used when the surface leaves the size to the application.
  Swapchain(VulkanContext& context, VkExtent2D framebuffer_extent);
  ~Swapchain();
  Swapchain(const Swapchain&) = delete;
  Swapchain& operator=(const Swapchain&) = delete;

  // Waits for the device to go idle, then rebuilds for the new size. Returns false (and changes
  // nothing) while the surface is 0×0, i.e. minimised.
  bool recreate(VkExtent2D framebuffer_extent);

  VkSwapchainKHR handle() const { return swapchain_; }
  VkRenderPass render_pass() const { return render_pass_; }
  VkFormat color_format() const { return color_format_; }
  VkExtent2D extent() const { return extent_; }
  uint32_t image_count() const { return static_cast<uint32_t>(images_.size()); }
  // The surface's minimum image count (at least 2): ImGui_ImplVulkan_InitInfo::MinImageCount.
  uint32_t min_image_count() const { return min_image_count_; }
  const SwapchainImage& image(uint32_t index) const { return images_.at(index); }
  // Whether images can be copied out (screenshots).
  bool supports_capture() const { return supports_capture_; }
  // How many times the swapchain was built (1 after construction).
  uint32_t generation() const { return generation_; }

 private:
  void create(VkExtent2D framebuffer_extent);
  void destroy_size_dependent();

  VulkanContext& context_;
  VkRenderPass render_pass_ = VK_NULL_HANDLE;
  VkFormat color_format_ = VK_FORMAT_UNDEFINED;
  VkColorSpaceKHR color_space_ = VK_COLOR_SPACE_SRGB_NONLINEAR_KHR;
  VkSwapchainKHR swapchain_ = VK_NULL_HANDLE;
  VkExtent2D extent_{0, 0};
  uint32_t min_image_count_ = 2;
  bool supports_capture_ = false;
  uint32_t generation_ = 0;
  std::vector<SwapchainImage> images_;
  GpuImage depth_;
};

}  // namespace shape::render
