// The window's frame loop: a swapchain, two frames in flight, resize/minimise handling and
// screenshots. A frame is an open render pass on the current swapchain image:
//
//   while (!glfwWindowShouldClose(window)) {
//     glfwPollEvents();
//     // uploads (ImageDisplay::set_image, MeshPipeline::upload) go here, outside a frame
//     auto frame = renderer.begin_frame();
//     if (!frame) { glfwWaitEventsTimeout(0.05); continue; }  // minimised: nothing to draw into
//     if (frame->swapchain_recreated) ImGui_ImplVulkan_SetMinImageCount(renderer.min_image_count());
//     const ViewLayout views = layout_views(ViewMode::Split, {0, 0, w, h});
//     image_display.draw(frame->pass, views.image);
//     mesh_pipeline.draw(frame->pass, views.mesh, camera);
//     ImGui_ImplVulkan_RenderDrawData(ImGui::GetDrawData(), frame->pass.cmd);  // same render pass
//     renderer.end_frame();
//   }
//
// Dear ImGui setup from the same objects: ImGui_ImplVulkan_InitInfo{ Instance = context.instance(),
// PhysicalDevice, Device, QueueFamily = context.graphics_queue_family(), Queue = graphics_queue(),
// MinImageCount = renderer.min_image_count(), ImageCount = renderer.image_count(), MSAASamples = 1 },
// render pass = renderer.render_pass(); fonts via context.immediate_submit(
// ImGui_ImplVulkan_CreateFontsTexture).
#pragma once

#include "renderer/capture.h"
#include "renderer/frame_data.h"
#include "renderer/render_pass.h"
#include "renderer/swapchain.h"

#include <vulkan/vulkan.h>

#include <functional>
#include <memory>
#include <optional>

namespace shape::render {

class VulkanContext;

struct WindowRendererOptions {
  ClearColor clear{0.11f, 0.11f, 0.12f, 1.0f};
  // Where the current framebuffer size comes from; glfwGetFramebufferSize(context.window()) (0×0
  // while iconified) when empty. 0×0 means minimised.
  std::function<VkExtent2D()> framebuffer_extent;
};

struct Frame {
  ActivePass pass;                    // command buffer recording inside the swapchain render pass
  uint32_t frame_index = 0;           // 0 or 1: which frame-in-flight slot
  uint32_t image_index = 0;           // swapchain image
  bool swapchain_recreated = false;   // the swapchain was rebuilt just before this frame
};

class WindowRenderer {
 public:
  WindowRenderer(VulkanContext& context, WindowRendererOptions options = {});
  ~WindowRenderer();
  WindowRenderer(const WindowRenderer&) = delete;
  WindowRenderer& operator=(const WindowRenderer&) = delete;

  // Waits for this slot's previous frame, acquires an image, begins the command buffer and the
  // render pass (cleared), and sets a full-window viewport. Returns nullopt, without blocking, while
  // the window is minimised (0×0) or when the swapchain had to be rebuilt mid-acquire: skip the
  // frame and try again.
  std::optional<Frame> begin_frame();
  // Ends the render pass, submits and presents; rebuilds the swapchain if presentation says so.
  void end_frame();

  // Copies the next presented frame to the CPU and calls `on_captured` with it (after that frame's
  // GPU work is done, inside end_frame). Throws if the surface forbids copying its images.
  void capture_next_frame(std::function<void(const RgbaImage&)> on_captured);

  void set_clear_color(const ClearColor& clear) { options_.clear = clear; }
  VkRenderPass render_pass() const { return swapchain_->render_pass(); }
  VkExtent2D extent() const { return swapchain_->extent(); }
  uint32_t image_count() const { return swapchain_->image_count(); }
  uint32_t min_image_count() const { return swapchain_->min_image_count(); }
  const Swapchain& swapchain() const { return *swapchain_; }

 private:
  VkExtent2D current_framebuffer_extent() const;
  void record_capture(VkCommandBuffer cmd, VkImage image);

  VulkanContext& context_;
  WindowRendererOptions options_;
  std::unique_ptr<Swapchain> swapchain_;
  std::unique_ptr<FramesInFlight> frames_;
  VkExtent2D requested_extent_{0, 0};  // framebuffer size the swapchain was last built for
  bool needs_recreate_ = false;
  bool frame_open_ = false;
  uint32_t image_index_ = 0;
  std::function<void(const RgbaImage&)> capture_request_;
  std::unique_ptr<ImageReadback> capture_readback_;
};

}  // namespace shape::render
