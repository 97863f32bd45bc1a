#include "renderer/window_renderer.h"

#include "renderer/gpu_image.h"
#include "renderer/vk_check.h"
#include "renderer/vk_struct.h"
#include "renderer/vulkan_context.h"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>

#include <array>
#include <stdexcept>

namespace shape::render {

WindowRenderer::WindowRenderer(VulkanContext& context, WindowRendererOptions options)
    : context_(context), options_(std::move(options)) {
  if (!context.window()) throw std::logic_error("WindowRenderer needs a context made with a window");
  VkExtent2D extent = current_framebuffer_extent();
  if (extent.width == 0 || extent.height == 0) extent = {1, 1};  // created minimised: fixed on first frame
  swapchain_ = std::make_unique<Swapchain>(context, extent);
  requested_extent_ = extent;
  frames_ = std::make_unique<FramesInFlight>(context);
}

WindowRenderer::~WindowRenderer() {
  vkDeviceWaitIdle(context_.device());
  frames_.reset();
  swapchain_.reset();
}

VkExtent2D WindowRenderer::current_framebuffer_extent() const {
  if (options_.framebuffer_extent) return options_.framebuffer_extent();
  // X11 keeps reporting the old size for an iconified window; treat it as 0×0 like other platforms.
  if (glfwGetWindowAttrib(context_.window(), GLFW_ICONIFIED)) return {0, 0};
  int width = 0;
  int height = 0;
  glfwGetFramebufferSize(context_.window(), &width, &height);
  return {static_cast<uint32_t>(width), static_cast<uint32_t>(height)};
}

std::optional<Frame> WindowRenderer::begin_frame() {
  if (frame_open_) throw std::logic_error("begin_frame called twice without end_frame");
  const VkExtent2D wanted = current_framebuffer_extent();
  if (wanted.width == 0 || wanted.height == 0) return std::nullopt;  // minimised

  Frame frame;
  // Compared with the size last asked for, not the swapchain's: a surface may settle on another size
  // (the driver's currentExtent wins), and that must not rebuild every frame.
  if (needs_recreate_ || wanted.width != requested_extent_.width || wanted.height != requested_extent_.height) {
    if (!swapchain_->recreate(wanted)) return std::nullopt;
    requested_extent_ = wanted;
    needs_recreate_ = false;
    frame.swapchain_recreated = true;
  }

  FrameData& slot = frames_->current();
  VK_CHECK(vkWaitForFences(context_.device(), 1, &slot.in_flight, VK_TRUE, UINT64_MAX));
  const VkResult acquired = vkAcquireNextImageKHR(context_.device(), swapchain_->handle(), UINT64_MAX,
                                                  slot.image_available, VK_NULL_HANDLE, &image_index_);
  if (acquired == VK_ERROR_OUT_OF_DATE_KHR) {
    needs_recreate_ = true;  // nothing was signalled; the fence is untouched, so just retry
    return std::nullopt;
  }
  if (acquired == VK_SUBOPTIMAL_KHR) {
    needs_recreate_ = true;  // still presentable: draw this frame, rebuild before the next
  } else {
    VK_CHECK(acquired);
  }
  // Reset only now that a submission that signals the fence is certain.
  VK_CHECK(vkResetFences(context_.device(), 1, &slot.in_flight));
  VK_CHECK(vkResetCommandPool(context_.device(), slot.command_pool, 0));

  VkCommandBuffer cmd = slot.command_buffer;
  auto begin = vk_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  VK_CHECK(vkBeginCommandBuffer(cmd, &begin));

  const VkExtent2D extent = swapchain_->extent();
  std::array<VkClearValue, 2> clears{};
  clears[0].color = {{options_.clear.r, options_.clear.g, options_.clear.b, options_.clear.a}};
  clears[1].depthStencil = {1.0f, 0};
  auto pass_begin = vk_struct<VkRenderPassBeginInfo>(VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO);
  pass_begin.renderPass = swapchain_->render_pass();
  pass_begin.framebuffer = swapchain_->image(image_index_).framebuffer;
  pass_begin.renderArea = {{0, 0}, extent};
  pass_begin.clearValueCount = static_cast<uint32_t>(clears.size());
  pass_begin.pClearValues = clears.data();
  vkCmdBeginRenderPass(cmd, &pass_begin, VK_SUBPASS_CONTENTS_INLINE);
  const VkViewport viewport{0.0f, 0.0f, static_cast<float>(extent.width), static_cast<float>(extent.height),
                            0.0f, 1.0f};
  vkCmdSetViewport(cmd, 0, 1, &viewport);
  const VkRect2D scissor{{0, 0}, extent};
  vkCmdSetScissor(cmd, 0, 1, &scissor);

  frame_open_ = true;
  frame.pass = ActivePass{cmd, swapchain_->render_pass(), extent};
  frame.frame_index = frames_->index();
  frame.image_index = image_index_;
  return frame;
}

void WindowRenderer::record_capture(VkCommandBuffer cmd, VkImage image) {
  capture_readback_ = std::make_unique<ImageReadback>(context_, swapchain_->extent(), swapchain_->color_format());
  LayoutTransition to_copy;
  to_copy.old_layout = VK_IMAGE_LAYOUT_PRESENT_SRC_KHR;
  to_copy.new_layout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
  to_copy.src_stage = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
  to_copy.src_access = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
  to_copy.dst_stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
  to_copy.dst_access = VK_ACCESS_TRANSFER_READ_BIT;
  transition_image(cmd, image, VK_IMAGE_ASPECT_COLOR_BIT, to_copy);
  capture_readback_->record_copy(cmd, image);
  LayoutTransition to_present;
  to_present.old_layout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
  to_present.new_layout = VK_IMAGE_LAYOUT_PRESENT_SRC_KHR;
  to_present.src_stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
  to_present.src_access = 0;  // reads need no flush; presentation waits on the semaphore
  to_present.dst_stage = VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT;
  to_present.dst_access = 0;
  transition_image(cmd, image, VK_IMAGE_ASPECT_COLOR_BIT, to_present);
}

void WindowRenderer::end_frame() {
  if (!frame_open_) throw std::logic_error("end_frame without a successful begin_frame");
  frame_open_ = false;
  FrameData& slot = frames_->current();
  const SwapchainImage& image = swapchain_->image(image_index_);
  VkCommandBuffer cmd = slot.command_buffer;
  vkCmdEndRenderPass(cmd);
  const bool capturing = static_cast<bool>(capture_request_);
  if (capturing) record_capture(cmd, image.image);
  VK_CHECK(vkEndCommandBuffer(cmd));

  // The render pass's first write to the image (its clear) waits for the presenter to release it.
  const VkPipelineStageFlags wait_stage = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
  auto submit = vk_struct<VkSubmitInfo>(VK_STRUCTURE_TYPE_SUBMIT_INFO);
  submit.waitSemaphoreCount = 1;
  submit.pWaitSemaphores = &slot.image_available;
  submit.pWaitDstStageMask = &wait_stage;
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &cmd;
  submit.signalSemaphoreCount = 1;
  submit.pSignalSemaphores = &image.render_finished;
  VK_CHECK(vkQueueSubmit(context_.graphics_queue(), 1, &submit, slot.in_flight));

  const VkSwapchainKHR swapchain = swapchain_->handle();
  auto present = vk_struct<VkPresentInfoKHR>(VK_STRUCTURE_TYPE_PRESENT_INFO_KHR);
  present.waitSemaphoreCount = 1;
  present.pWaitSemaphores = &image.render_finished;
  present.swapchainCount = 1;
  present.pSwapchains = &swapchain;
  present.pImageIndices = &image_index_;
  const VkResult presented = vkQueuePresentKHR(context_.graphics_queue(), &present);
  if (presented == VK_ERROR_OUT_OF_DATE_KHR || presented == VK_SUBOPTIMAL_KHR) {
    needs_recreate_ = true;
  } else {
    VK_CHECK(presented);
  }

  if (capturing) {
    VK_CHECK(vkWaitForFences(context_.device(), 1, &slot.in_flight, VK_TRUE, UINT64_MAX));
    const RgbaImage captured = capture_readback_->read(/*force_opaque=*/true);
    capture_readback_.reset();
    auto on_captured = std::move(capture_request_);
    capture_request_ = nullptr;
    on_captured(captured);
  }
  frames_->advance();
}

void WindowRenderer::capture_next_frame(std::function<void(const RgbaImage&)> on_captured) {
  if (!swapchain_->supports_capture()) throw std::runtime_error("this surface does not allow copying its images");
  if (!is_capturable_format(swapchain_->color_format())) {
    throw std::runtime_error("screenshots are not supported for this swapchain format");
  }
  capture_request_ = std::move(on_captured);
}

}  // namespace shape::render
