// Small helpers shared by the pipelines: shader modules from embedded SPIR-V, a graphics pipeline
// description with the few knobs our pipelines differ in, and viewport/scissor from a ViewRect.
#pragma once

#include "renderer/view_layout.h"

#include <vulkan/vulkan.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace shape::render {

VkShaderModule create_shader_module(VkDevice device, const uint32_t* words, std::size_t word_count);

template <std::size_t N>
VkShaderModule create_shader_module(VkDevice device, const uint32_t (&words)[N]) {
  return create_shader_module(device, words, N);
}

struct GraphicsPipelineDesc {
  VkShaderModule vertex_shader = VK_NULL_HANDLE;
  VkShaderModule fragment_shader = VK_NULL_HANDLE;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  VkRenderPass render_pass = VK_NULL_HANDLE;
  std::vector<VkVertexInputBindingDescription> vertex_bindings;
  std::vector<VkVertexInputAttributeDescription> vertex_attributes;
  VkPrimitiveTopology topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST;
  VkPolygonMode polygon_mode = VK_POLYGON_MODE_FILL;
  VkCullModeFlags cull_mode = VK_CULL_MODE_NONE;
  bool depth_test = false;
  bool depth_write = false;
  VkCompareOp depth_compare = VK_COMPARE_OP_LESS;
  bool dynamic_depth_bias = false;  // depth bias enabled, its values set per draw
};

// Viewport and scissor are always dynamic (views move with the window and the GUI layout).
VkPipeline create_graphics_pipeline(VkDevice device, const GraphicsPipelineDesc& desc);

// Sets the viewport to `rect` and the scissor to `rect` clipped to the target (and to `clip` when
// given). Returns false (and sets nothing) when no pixel of `rect` is left.
bool set_viewport_and_scissor(VkCommandBuffer cmd, const ViewRect& rect, VkExtent2D target,
                              const std::optional<ViewRect>& clip = std::nullopt);

}  // namespace shape::render
