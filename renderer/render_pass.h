// The one render pass shape every target uses: a single subpass with one colour attachment (cleared)
// and one depth attachment (cleared, not stored). Pipelines are built against it; Dear ImGui's
// pipeline can be built against the swapchain's instance of it and draw in the same subpass.
#pragma once

#include <vulkan/vulkan.h>

namespace shape::render {

struct RenderPassSpec {
  VkFormat color_format = VK_FORMAT_R8G8B8A8_UNORM;
  VkFormat depth_format = VK_FORMAT_D32_SFLOAT;
  // PRESENT_SRC_KHR for a swapchain, TRANSFER_SRC_OPTIMAL for an offscreen target read back later.
  VkImageLayout color_final_layout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
};

VkRenderPass create_color_depth_render_pass(VkDevice device, const RenderPassSpec& spec);

// A render pass instance being recorded: what the pipelines' draw calls need. Frames and offscreen
// renders hand one to the drawing code (and to the GUI, which records ImGui into the same pass).
struct ActivePass {
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  VkRenderPass render_pass = VK_NULL_HANDLE;
  VkExtent2D extent{0, 0};
};

// Clear values for the colour and depth attachments (depth clears to 1 = far).
struct ClearColor {
  float r = 0.0f, g = 0.0f, b = 0.0f, a = 1.0f;
};

}  // namespace shape::render
