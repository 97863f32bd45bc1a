#include "renderer/mesh_pipeline.h"

#include "renderer/orbit_camera.h"
#include "renderer/pipeline_utils.h"
#include "renderer/vk_check.h"
#include "renderer/vk_struct.h"
#include "renderer/vulkan_context.h"

#include <shape_shaders/mesh_frag.h>
#include <shape_shaders/mesh_vert.h>

#include <cstddef>
#include <cstring>

namespace shape::render {
namespace {

// Matches the push_constant block of mesh.vert / mesh.frag (std430: three 16-byte aligned members).
struct MeshPush {
  glm::mat4 view_projection;
  glm::vec4 eye_ambient;
  glm::vec4 flat_color;
};
static_assert(sizeof(MeshPush) == 96, "MeshPush must match the shaders");

// Pushes the solid surface slightly back so edges drawn on top with LESS_OR_EQUAL win the depth test.
constexpr float kOverlayDepthBiasConstant = 1.0f;
constexpr float kOverlayDepthBiasSlope = 1.0f;

}  // namespace

MeshCamera mesh_camera(const OrbitCamera& camera, float aspect) {
  return {camera.view_projection(aspect), camera.eye()};
}

MeshPipeline::MeshPipeline(VulkanContext& context, VkRenderPass render_pass, const MeshPipelineOptions& options)
    : context_(context),
      polygon_mode_wireframe_(context.device_info().fill_mode_non_solid && !options.force_line_list_wireframe) {
  create_pipelines(render_pass);
}

MeshPipeline::~MeshPipeline() {
  vkDeviceWaitIdle(context_.device());  // frames in flight may still read the buffers
  vertices_ = GpuBuffer();
  indices_ = GpuBuffer();
  pipeline_objects_.flush();
}

void MeshPipeline::create_pipelines(VkRenderPass render_pass) {
  VkDevice device = context_.device();

  VkPushConstantRange push_range{VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT, 0, sizeof(MeshPush)};
  auto layout_info = vk_struct<VkPipelineLayoutCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO);
  layout_info.pushConstantRangeCount = 1;
  layout_info.pPushConstantRanges = &push_range;
  VK_CHECK(vkCreatePipelineLayout(device, &layout_info, nullptr, &layout_));
  pipeline_objects_.push([device, layout = layout_] { vkDestroyPipelineLayout(device, layout, nullptr); });

  DeletionQueue modules;  // only needed while the pipelines are built
  VkShaderModule vertex = create_shader_module(device, shaders::mesh_vert);
  modules.push([device, vertex] { vkDestroyShaderModule(device, vertex, nullptr); });
  VkShaderModule fragment = create_shader_module(device, shaders::mesh_frag);
  modules.push([device, fragment] { vkDestroyShaderModule(device, fragment, nullptr); });

  GraphicsPipelineDesc desc;
  desc.vertex_shader = vertex;
  desc.fragment_shader = fragment;
  desc.layout = layout_;
  desc.render_pass = render_pass;
  desc.vertex_bindings = {{0, sizeof(MeshVertex), VK_VERTEX_INPUT_RATE_VERTEX}};
  desc.vertex_attributes = {
      {0, 0, VK_FORMAT_R32G32B32_SFLOAT, static_cast<uint32_t>(offsetof(MeshVertex, position))},
      {1, 0, VK_FORMAT_R32G32B32_SFLOAT, static_cast<uint32_t>(offsetof(MeshVertex, normal))},
      {2, 0, VK_FORMAT_R32G32B32_SFLOAT, static_cast<uint32_t>(offsetof(MeshVertex, color))},
  };
  desc.cull_mode = VK_CULL_MODE_NONE;  // two-sided: open or inconsistently wound surfaces show both faces
  desc.depth_test = true;
  desc.depth_write = true;
  desc.depth_compare = VK_COMPARE_OP_LESS;
  desc.dynamic_depth_bias = true;
  solid_pipeline_ = create_graphics_pipeline(device, desc);
  pipeline_objects_.push([device, pipeline = solid_pipeline_] { vkDestroyPipeline(device, pipeline, nullptr); });

  desc.dynamic_depth_bias = false;
  desc.depth_compare = VK_COMPARE_OP_LESS_OR_EQUAL;  // edges coincide with the surface they outline
  if (polygon_mode_wireframe_) {
    desc.polygon_mode = VK_POLYGON_MODE_LINE;
  } else {
    desc.topology = VK_PRIMITIVE_TOPOLOGY_LINE_LIST;
  }
  wire_pipeline_ = create_graphics_pipeline(device, desc);
  pipeline_objects_.push([device, pipeline = wire_pipeline_] { vkDestroyPipeline(device, pipeline, nullptr); });
}

void MeshPipeline::clear() {
  if (!vertices_ && !indices_) return;
  context_.wait_idle();
  vertices_ = GpuBuffer();
  indices_ = GpuBuffer();
  triangle_index_count_ = 0;
  edge_index_count_ = 0;
}

void MeshPipeline::upload(const std::vector<std::array<float, 3>>& positions,
                          const std::vector<std::array<float, 3>>& normals,
                          const std::vector<std::array<float, 3>>& colors,
                          const std::vector<std::array<uint32_t, 3>>& triangles) {
  MeshGeometry geometry = build_mesh_geometry(positions, normals, colors, triangles, !polygon_mode_wireframe_);
  if (geometry.triangle_indices.empty()) {
    clear();
    return;
  }

  const VkDeviceSize vertex_bytes = geometry.vertices.size() * sizeof(MeshVertex);
  const VkDeviceSize triangle_bytes = geometry.triangle_indices.size() * sizeof(uint32_t);
  const VkDeviceSize edge_bytes = geometry.edge_indices.size() * sizeof(uint32_t);
  const VkDeviceSize index_bytes = triangle_bytes + edge_bytes;

  GpuBuffer staging(context_, vertex_bytes + index_bytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, BufferMemory::HostUpload);
  staging.write(geometry.vertices.data(), vertex_bytes, 0);
  staging.write(geometry.triangle_indices.data(), triangle_bytes, vertex_bytes);
  if (edge_bytes > 0) staging.write(geometry.edge_indices.data(), edge_bytes, vertex_bytes + triangle_bytes);

  GpuBuffer vertices(context_, vertex_bytes, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                     BufferMemory::DeviceLocal);
  GpuBuffer indices(context_, index_bytes, VK_BUFFER_USAGE_INDEX_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                    BufferMemory::DeviceLocal);
  context_.immediate_submit([&](VkCommandBuffer cmd) {
    const VkBufferCopy vertex_copy{0, 0, vertex_bytes};
    vkCmdCopyBuffer(cmd, staging.handle(), vertices.handle(), 1, &vertex_copy);
    const VkBufferCopy index_copy{vertex_bytes, 0, index_bytes};
    vkCmdCopyBuffer(cmd, staging.handle(), indices.handle(), 1, &index_copy);
    // Later frames read the buffers as vertex input.
    auto barrier = vk_struct<VkMemoryBarrier>(VK_STRUCTURE_TYPE_MEMORY_BARRIER);
    barrier.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    barrier.dstAccessMask = VK_ACCESS_VERTEX_ATTRIBUTE_READ_BIT | VK_ACCESS_INDEX_READ_BIT;
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_VERTEX_INPUT_BIT, 0, 1, &barrier, 0,
                         nullptr, 0, nullptr);
  });
  // The old buffers may still be read by frames in flight.
  if (vertices_) context_.wait_idle();
  vertices_ = std::move(vertices);
  indices_ = std::move(indices);
  triangle_index_count_ = static_cast<uint32_t>(geometry.triangle_indices.size());
  edge_index_count_ = static_cast<uint32_t>(geometry.edge_indices.size());
}

void MeshPipeline::draw(const ActivePass& pass, const ViewRect& view, const OrbitCamera& camera,
                        const MeshDrawOptions& options) const {
  draw(pass, view, mesh_camera(camera, view.aspect()), options);
}

void MeshPipeline::draw(const ActivePass& pass, const ViewRect& view, const MeshCamera& camera,
                        const MeshDrawOptions& options) const {
  if (!has_mesh() || !set_viewport_and_scissor(pass.cmd, view, pass.extent)) return;
  VkCommandBuffer cmd = pass.cmd;
  const VkDeviceSize vertex_offset = 0;
  const VkBuffer vertex_buffer = vertices_.handle();
  vkCmdBindVertexBuffers(cmd, 0, 1, &vertex_buffer, &vertex_offset);
  vkCmdBindIndexBuffer(cmd, indices_.handle(), 0, VK_INDEX_TYPE_UINT32);

  MeshPush push{camera.view_projection, glm::vec4(camera.eye, options.ambient), glm::vec4(0.0f)};
  const VkShaderStageFlags stages = VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT;

  if (options.shading == MeshShading::Wireframe) {
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, wire_pipeline_);
    vkCmdPushConstants(cmd, layout_, stages, 0, sizeof(push), &push);
    draw_wireframe(cmd);
    return;
  }

  const bool overlay = options.shading == MeshShading::SolidWithWireframe;
  vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, solid_pipeline_);
  vkCmdSetDepthBias(cmd, overlay ? kOverlayDepthBiasConstant : 0.0f, 0.0f, overlay ? kOverlayDepthBiasSlope : 0.0f);
  vkCmdPushConstants(cmd, layout_, stages, 0, sizeof(push), &push);
  vkCmdDrawIndexed(cmd, triangle_index_count_, 1, 0, 0, 0);

  if (overlay) {
    push.flat_color = glm::vec4(options.edge_color[0], options.edge_color[1], options.edge_color[2], 1.0f);
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, wire_pipeline_);
    vkCmdPushConstants(cmd, layout_, stages, 0, sizeof(push), &push);
    draw_wireframe(cmd);
  }
}

void MeshPipeline::draw_wireframe(VkCommandBuffer cmd) const {
  if (polygon_mode_wireframe_) {
    vkCmdDrawIndexed(cmd, triangle_index_count_, 1, 0, 0, 0);
  } else {
    vkCmdDrawIndexed(cmd, edge_index_count_, 1, triangle_index_count_, 0, 0);
  }
}

}  // namespace shape::render
