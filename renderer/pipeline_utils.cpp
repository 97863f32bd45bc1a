#include "renderer/pipeline_utils.h"

#include "renderer/vk_check.h"
#include "renderer/vk_struct.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace shape::render {

VkShaderModule create_shader_module(VkDevice device, const uint32_t* words, std::size_t word_count) {
  auto info = vk_struct<VkShaderModuleCreateInfo>(VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO);
  info.codeSize = word_count * sizeof(uint32_t);
  info.pCode = words;
  VkShaderModule module = VK_NULL_HANDLE;
  VK_CHECK(vkCreateShaderModule(device, &info, nullptr, &module));
  return module;
}

VkPipeline create_graphics_pipeline(VkDevice device, const GraphicsPipelineDesc& desc) {
  std::array<VkPipelineShaderStageCreateInfo, 2> stages{};
  stages[0] = vk_struct<VkPipelineShaderStageCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO);
  stages[0].stage = VK_SHADER_STAGE_VERTEX_BIT;
  stages[0].module = desc.vertex_shader;
  stages[0].pName = "main";
  stages[1] = vk_struct<VkPipelineShaderStageCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO);
  stages[1].stage = VK_SHADER_STAGE_FRAGMENT_BIT;
  stages[1].module = desc.fragment_shader;
  stages[1].pName = "main";

  auto vertex_input = vk_struct<VkPipelineVertexInputStateCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO);
  vertex_input.vertexBindingDescriptionCount = static_cast<uint32_t>(desc.vertex_bindings.size());
  vertex_input.pVertexBindingDescriptions = desc.vertex_bindings.data();
  vertex_input.vertexAttributeDescriptionCount = static_cast<uint32_t>(desc.vertex_attributes.size());
  vertex_input.pVertexAttributeDescriptions = desc.vertex_attributes.data();

  auto input_assembly = vk_struct<VkPipelineInputAssemblyStateCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO);
  input_assembly.topology = desc.topology;

  auto viewport = vk_struct<VkPipelineViewportStateCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO);
  viewport.viewportCount = 1;
  viewport.scissorCount = 1;

  auto raster = vk_struct<VkPipelineRasterizationStateCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO);
  raster.polygonMode = desc.polygon_mode;
  raster.cullMode = desc.cull_mode;
  raster.frontFace = VK_FRONT_FACE_COUNTER_CLOCKWISE;
  raster.depthBiasEnable = desc.dynamic_depth_bias ? VK_TRUE : VK_FALSE;
  raster.lineWidth = 1.0f;

  auto multisample = vk_struct<VkPipelineMultisampleStateCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO);
  multisample.rasterizationSamples = VK_SAMPLE_COUNT_1_BIT;

  auto depth = vk_struct<VkPipelineDepthStencilStateCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_DEPTH_STENCIL_STATE_CREATE_INFO);
  depth.depthTestEnable = desc.depth_test ? VK_TRUE : VK_FALSE;
  depth.depthWriteEnable = desc.depth_write ? VK_TRUE : VK_FALSE;
  depth.depthCompareOp = desc.depth_compare;
  depth.minDepthBounds = 0.0f;
  depth.maxDepthBounds = 1.0f;

  VkPipelineColorBlendAttachmentState blend_attachment{};
  blend_attachment.colorWriteMask =
      VK_COLOR_COMPONENT_R_BIT | VK_COLOR_COMPONENT_G_BIT | VK_COLOR_COMPONENT_B_BIT | VK_COLOR_COMPONENT_A_BIT;
  auto blend = vk_struct<VkPipelineColorBlendStateCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO);
  blend.attachmentCount = 1;
  blend.pAttachments = &blend_attachment;

  std::vector<VkDynamicState> dynamic_states{VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR};
  if (desc.dynamic_depth_bias) dynamic_states.push_back(VK_DYNAMIC_STATE_DEPTH_BIAS);
  auto dynamic = vk_struct<VkPipelineDynamicStateCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO);
  dynamic.dynamicStateCount = static_cast<uint32_t>(dynamic_states.size());
  dynamic.pDynamicStates = dynamic_states.data();

  auto info = vk_struct<VkGraphicsPipelineCreateInfo>(VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO);
  info.stageCount = static_cast<uint32_t>(stages.size());
  info.pStages = stages.data();
  info.pVertexInputState = &vertex_input;
  info.pInputAssemblyState = &input_assembly;
  info.pViewportState = &viewport;
  info.pRasterizationState = &raster;
  info.pMultisampleState = &multisample;
  info.pDepthStencilState = &depth;
  info.pColorBlendState = &blend;
  info.pDynamicState = &dynamic;
  info.layout = desc.layout;
  info.renderPass = desc.render_pass;
  info.subpass = 0;
  VkPipeline pipeline = VK_NULL_HANDLE;
  VK_CHECK(vkCreateGraphicsPipelines(device, VK_NULL_HANDLE, 1, &info, nullptr, &pipeline));
  return pipeline;
}

bool set_viewport_and_scissor(VkCommandBuffer cmd, const ViewRect& rect, VkExtent2D target,
                              const std::optional<ViewRect>& clip) {
  if (rect.empty()) return false;
  float left = std::max(0.0f, std::floor(rect.x));
  float top = std::max(0.0f, std::floor(rect.y));
  float right = std::min(static_cast<float>(target.width), std::ceil(rect.x + rect.width));
  float bottom = std::min(static_cast<float>(target.height), std::ceil(rect.y + rect.height));
  if (clip) {
    left = std::max(left, std::floor(clip->x));
    top = std::max(top, std::floor(clip->y));
    right = std::min(right, std::ceil(clip->x + clip->width));
    bottom = std::min(bottom, std::ceil(clip->y + clip->height));
  }
  if (right <= left || bottom <= top) return false;

  const VkViewport viewport{rect.x, rect.y, rect.width, rect.height, 0.0f, 1.0f};
  vkCmdSetViewport(cmd, 0, 1, &viewport);
  const VkRect2D scissor{{static_cast<int32_t>(left), static_cast<int32_t>(top)},
                         {static_cast<uint32_t>(right - left), static_cast<uint32_t>(bottom - top)}};
  vkCmdSetScissor(cmd, 0, 1, &scissor);
  return true;
}

}  // namespace shape::render
