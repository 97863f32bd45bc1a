// Turns the plain mesh data Shap-E produces into what the mesh pipeline uploads: interleaved
// vertices (missing normals computed, missing colours filled in) and index lists. No Vulkan.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace shape::render {

using Vec3f = std::array<float, 3>;
using Triangle = std::array<uint32_t, 3>;

// Matches the mesh.vert inputs (locations 0, 1, 2).
struct MeshVertex {
  Vec3f position;
  Vec3f normal;
  Vec3f color;  // linear RGB
};
static_assert(sizeof(MeshVertex) == 36, "MeshVertex must be tightly packed");

struct MeshGeometry {
  std::vector<MeshVertex> vertices;
  std::vector<uint32_t> triangle_indices;  // 3 per triangle
  std::vector<uint32_t> edge_indices;      // 2 per unique edge (line-list wireframe), when asked for
};

// Colour for meshes without vertex colours: a neutral light grey (linear).
inline constexpr Vec3f kDefaultMeshColor{0.6f, 0.6f, 0.6f};

// normals and colors may be empty (computed / kDefaultMeshColor); otherwise they must have one entry
// per position. Throws std::invalid_argument on size mismatches or out-of-range indices.
MeshGeometry build_mesh_geometry(const std::vector<Vec3f>& positions, const std::vector<Vec3f>& normals,
                                 const std::vector<Vec3f>& colors, const std::vector<Triangle>& triangles,
                                 bool with_edges);

// Area-weighted vertex normals (unit length; zero for vertices no triangle with area touches).
std::vector<Vec3f> compute_vertex_normals(const std::vector<Vec3f>& positions, const std::vector<Triangle>& triangles);

// Each undirected edge once, as index pairs.
std::vector<uint32_t> unique_edges(const std::vector<Triangle>& triangles);

}  // namespace shape::render
