#include "renderer/render_pass.h"

#include "renderer/vk_check.h"
#include "renderer/vk_struct.h"

#include <array>

namespace shape::render {

VkRenderPass create_color_depth_render_pass(VkDevice device, const RenderPassSpec& spec) {
  std::array<VkAttachmentDescription, 2> attachments{};
  VkAttachmentDescription& color = attachments[0];
  color.format = spec.color_format;
  color.samples = VK_SAMPLE_COUNT_1_BIT;
  color.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
  color.storeOp = VK_ATTACHMENT_STORE_OP_STORE;
  color.stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
  color.stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
  color.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;  // every frame starts from a clear
  color.finalLayout = spec.color_final_layout;

  VkAttachmentDescription& depth = attachments[1];
  depth.format = spec.depth_format;
  depth.samples = VK_SAMPLE_COUNT_1_BIT;
  depth.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
  depth.storeOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
  depth.stencilLoadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
  depth.stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
  depth.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
  depth.finalLayout = VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL;

  VkAttachmentReference color_ref{0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
  VkAttachmentReference depth_ref{1, VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL};
  VkSubpassDescription subpass{};
  subpass.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS;
  subpass.colorAttachmentCount = 1;
  subpass.pColorAttachments = &color_ref;
  subpass.pDepthStencilAttachment = &depth_ref;

  std::array<VkSubpassDependency, 2> dependencies{};
  // In: the previous use of the attachments (last frame's writes — one depth buffer is shared by
  // both frames in flight — or a read-back copy) finishes before this pass clears and writes them.
  VkSubpassDependency& in = dependencies[0];
  in.srcSubpass = VK_SUBPASS_EXTERNAL;
  in.dstSubpass = 0;
  in.srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT | VK_PIPELINE_STAGE_EARLY_FRAGMENT_TESTS_BIT |
                    VK_PIPELINE_STAGE_LATE_FRAGMENT_TESTS_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
  in.srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT | VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT;
  in.dstStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT | VK_PIPELINE_STAGE_EARLY_FRAGMENT_TESTS_BIT |
                    VK_PIPELINE_STAGE_LATE_FRAGMENT_TESTS_BIT;
  in.dstAccessMask = VK_ACCESS_COLOR_ATTACHMENT_READ_BIT | VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT |
                     VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_READ_BIT | VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT;
  // Out: colour writes finish before a copy reads the image (offscreen read-back); presentation is
  // ordered by the render-finished semaphore instead.
  VkSubpassDependency& out = dependencies[1];
  out.srcSubpass = 0;
  out.dstSubpass = VK_SUBPASS_EXTERNAL;
  out.srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
  out.srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
  if (spec.color_final_layout == VK_IMAGE_LAYOUT_PRESENT_SRC_KHR) {
    out.dstStageMask = VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT;
    out.dstAccessMask = 0;
  } else {
    out.dstStageMask = VK_PIPELINE_STAGE_TRANSFER_BIT;
    out.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
  }

  auto info = vk_struct<VkRenderPassCreateInfo>(VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO);
  info.attachmentCount = static_cast<uint32_t>(attachments.size());
  info.pAttachments = attachments.data();
  info.subpassCount = 1;
  info.pSubpasses = &subpass;
  info.dependencyCount = static_cast<uint32_t>(dependencies.size());
  info.pDependencies = dependencies.data();
  VkRenderPass render_pass = VK_NULL_HANDLE;
  VK_CHECK(vkCreateRenderPass(device, &info, nullptr, &render_pass));
  return render_pass;
}

}  // namespace shape::render
