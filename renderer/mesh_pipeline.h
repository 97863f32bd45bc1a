// Draws one triangle mesh (positions, normals, linear-RGB vertex colours, uint32 triangles) with a
// depth test, headlight + ambient lighting on both sides, and an optional wireframe, seen through a
// camera. Built for one render pass, like ImageDisplay.
//
// Wireframe: polygonMode LINE when the device has fillModeNonSolid (lavapipe and desktop GPUs do);
// otherwise a line list over the mesh's unique edges.
#pragma once

#include "inference/mesh/mesh.h"
#include "renderer/deletion_queue.h"
#include "renderer/gpu_buffer.h"
#include "renderer/mesh_geometry.h"
#include "renderer/render_pass.h"
#include "renderer/view_layout.h"

#include <glm/glm.hpp>
#include <vulkan/vulkan.h>

#include <array>
#include <cstdint>
#include <vector>

namespace shape::render {

class OrbitCamera;
class VulkanContext;

enum class MeshShading {
  Solid,               // lit triangles
  Wireframe,           // lit edges only
  SolidWithWireframe,  // lit triangles with dark edges on top
};

struct MeshDrawOptions {
  MeshShading shading = MeshShading::Solid;
  float ambient = 0.3f;                             // lit fraction facing away from the light
  std::array<float, 3> edge_color{0.02f, 0.02f, 0.02f};  // linear RGB, SolidWithWireframe edges
};

// What the mesh is seen through; OrbitCamera overloads fill it in.
struct MeshCamera {
  glm::mat4 view_projection{1.0f};
  glm::vec3 eye{0.0f};  // the headlight sits here
};

struct MeshPipelineOptions {
  // Use the line-list wireframe even where polygonMode LINE is available (to test that path).
  bool force_line_list_wireframe = false;
};

class MeshPipeline {
 public:
  MeshPipeline(VulkanContext& context, VkRenderPass render_pass, const MeshPipelineOptions& options = {});
  ~MeshPipeline();
  MeshPipeline(const MeshPipeline&) = delete;
  MeshPipeline& operator=(const MeshPipeline&) = delete;

  // Replaces the current mesh (device-local buffers filled through staging). normals and colors may
  // be empty. Waits for frames in flight before freeing the old buffers; call it outside
  // begin_frame()…end_frame(). An empty mesh clears.
  void upload(const std::vector<std::array<float, 3>>& positions, const std::vector<std::array<float, 3>>& normals,
              const std::vector<std::array<float, 3>>& colors, const std::vector<std::array<uint32_t, 3>>& triangles);
  void upload(const shape::Mesh& mesh) { upload(mesh.positions, mesh.normals, mesh.colors, mesh.triangles); }
  void clear();

  bool has_mesh() const { return triangle_index_count_ > 0; }
  uint32_t triangle_count() const { return triangle_index_count_ / 3; }
  bool wireframe_uses_polygon_mode() const { return polygon_mode_wireframe_; }

  // Records the draw into `pass`, with the viewport set to `view`.
  void draw(const ActivePass& pass, const ViewRect& view, const MeshCamera& camera,
            const MeshDrawOptions& options = {}) const;
  // Same, with the camera's projection at the view's aspect ratio.
  void draw(const ActivePass& pass, const ViewRect& view, const OrbitCamera& camera,
            const MeshDrawOptions& options = {}) const;

 private:
  void create_pipelines(VkRenderPass render_pass);
  void draw_wireframe(VkCommandBuffer cmd) const;

  VulkanContext& context_;
  bool polygon_mode_wireframe_ = false;
  DeletionQueue pipeline_objects_;
  VkPipelineLayout layout_ = VK_NULL_HANDLE;
  VkPipeline solid_pipeline_ = VK_NULL_HANDLE;
  VkPipeline wire_pipeline_ = VK_NULL_HANDLE;

  GpuBuffer vertices_;
  GpuBuffer indices_;  // triangle indices, then (line-list wireframe only) edge indices
  uint32_t triangle_index_count_ = 0;
  uint32_t edge_index_count_ = 0;
};

MeshCamera mesh_camera(const OrbitCamera& camera, float aspect);

}  // namespace shape::render
