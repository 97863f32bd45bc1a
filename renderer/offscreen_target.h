// A headless render target: colour (RGBA8 UNORM) + depth images, a framebuffer and its render pass.
// Renders through VulkanContext::immediate_submit and reads the result back to RgbaImage, so it
// works without a window (tests, thumbnails, the CLI's preview renders).
#pragma once

#include "renderer/capture.h"
#include "renderer/deletion_queue.h"
#include "renderer/gpu_image.h"
#include "renderer/render_pass.h"

#include <vulkan/vulkan.h>

#include <functional>

namespace shape::render {

class VulkanContext;

class OffscreenTarget {
 public:
  static constexpr VkFormat kColorFormat = VK_FORMAT_R8G8B8A8_UNORM;

  OffscreenTarget(VulkanContext& context, VkExtent2D extent);
  ~OffscreenTarget();
  OffscreenTarget(const OffscreenTarget&) = delete;
  OffscreenTarget& operator=(const OffscreenTarget&) = delete;

  // New size; the render pass (and so pipelines built for it) stays valid.
  void resize(VkExtent2D extent);

  VkRenderPass render_pass() const { return render_pass_; }
  VkExtent2D extent() const { return extent_; }
  VkImage color_image() const { return color_.handle(); }

  // Clears, lets `record` draw into the pass, ends it, submits and waits.
  void render(const std::function<void(const ActivePass&)>& record, const ClearColor& clear = {});
  // The last render's pixels (throws before the first render after construction or resize).
  RgbaImage read_back();

 private:
  void create_images(VkExtent2D extent);

  VulkanContext& context_;
  VkRenderPass render_pass_ = VK_NULL_HANDLE;
  VkExtent2D extent_{0, 0};
  GpuImage color_;
  GpuImage depth_;
  DeletionQueue size_dependent_;  // framebuffer; rebuilt on resize
  VkFramebuffer framebuffer_ = VK_NULL_HANDLE;
  bool rendered_ = false;
};

}  // namespace shape::render
