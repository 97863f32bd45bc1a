#include "renderer/offscreen_target.h"

#include "renderer/vk_check.h"
#include "renderer/vk_struct.h"
#include "renderer/vulkan_context.h"

#include <array>
#include <stdexcept>

namespace shape::render {

OffscreenTarget::OffscreenTarget(VulkanContext& context, VkExtent2D extent) : context_(context) {
  RenderPassSpec spec;
  spec.color_format = kColorFormat;
  spec.depth_format = context.depth_format();
  spec.color_final_layout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;  // ready for read_back()
  render_pass_ = create_color_depth_render_pass(context.device(), spec);
  try {
    create_images(extent);
  } catch (...) {
    vkDestroyRenderPass(context.device(), render_pass_, nullptr);
    throw;
  }
}

OffscreenTarget::~OffscreenTarget() {
  size_dependent_.flush();
  color_ = GpuImage();
  depth_ = GpuImage();
  vkDestroyRenderPass(context_.device(), render_pass_, nullptr);
}

void OffscreenTarget::create_images(VkExtent2D extent) {
  if (extent.width == 0 || extent.height == 0) throw std::invalid_argument("OffscreenTarget: empty extent");
  size_dependent_.flush();
  color_ = GpuImage(context_, ImageSpec{extent, kColorFormat,
                                        VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
                                        VK_IMAGE_ASPECT_COLOR_BIT});
  depth_ = GpuImage(context_, ImageSpec{extent, context_.depth_format(), VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT,
                                        depth_aspect(context_.depth_format())});
  const std::array<VkImageView, 2> views{color_.view(), depth_.view()};
  auto info = vk_struct<VkFramebufferCreateInfo>(VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO);
  info.renderPass = render_pass_;
  info.attachmentCount = static_cast<uint32_t>(views.size());
  info.pAttachments = views.data();
  info.width = extent.width;
  info.height = extent.height;
  info.layers = 1;
  VK_CHECK(vkCreateFramebuffer(context_.device(), &info, nullptr, &framebuffer_));
  size_dependent_.push([device = context_.device(), framebuffer = framebuffer_] {
    vkDestroyFramebuffer(device, framebuffer, nullptr);
  });
  extent_ = extent;
  rendered_ = false;
}

void OffscreenTarget::resize(VkExtent2D extent) {
  if (extent.width == extent_.width && extent.height == extent_.height) return;
  context_.wait_idle();  // renders are synchronous, but be safe against other users of the images
  create_images(extent);
}

void OffscreenTarget::render(const std::function<void(const ActivePass&)>& record, const ClearColor& clear) {
  context_.immediate_submit([&](VkCommandBuffer cmd) {
    std::array<VkClearValue, 2> clears{};
    clears[0].color = {{clear.r, clear.g, clear.b, clear.a}};
    clears[1].depthStencil = {1.0f, 0};
    auto begin = vk_struct<VkRenderPassBeginInfo>(VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO);
    begin.renderPass = render_pass_;
    begin.framebuffer = framebuffer_;
    begin.renderArea = {{0, 0}, extent_};
    begin.clearValueCount = static_cast<uint32_t>(clears.size());
    begin.pClearValues = clears.data();
    vkCmdBeginRenderPass(cmd, &begin, VK_SUBPASS_CONTENTS_INLINE);
    record(ActivePass{cmd, render_pass_, extent_});
    vkCmdEndRenderPass(cmd);
  });
  rendered_ = true;
}

RgbaImage OffscreenTarget::read_back() {
  if (!rendered_) throw std::logic_error("OffscreenTarget::read_back before render");
  ImageReadback readback(context_, extent_, kColorFormat);
  // The render pass left the image in TRANSFER_SRC_OPTIMAL with its writes ordered before transfers.
  context_.immediate_submit([&](VkCommandBuffer cmd) { readback.record_copy(cmd, color_.handle()); });
  return readback.read();
}

}  // namespace shape::render
