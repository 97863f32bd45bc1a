// Building and tidying a Mesh: from marching-cubes tensors, vertex normals, welding, simplification.
// Everything but mesh_from_tensors works on plain std:: data, so this header does not pull in LibTorch.
#pragma once

#include <array>
#include <cstddef>

#include "inference/mesh/mesh.h"

namespace at {
class Tensor;
}

namespace shape {

// vertices [V, 3] (floating), faces [F, 3] (integer, in [0, V)), colors [V, 3] linear RGB or an
// undefined tensor for an uncoloured mesh. Computes area-weighted vertex normals. Throws
// std::invalid_argument on a shape, dtype or index mismatch.
Mesh mesh_from_tensors(const at::Tensor& vertices, const at::Tensor& faces, const at::Tensor& colors);

// Throws std::invalid_argument if attribute counts differ from the vertex count, an index is out of
// range or a position is not finite.
void check_mesh(const Mesh& mesh);

// The axis-aligned box around the positions (low > high on every axis for a mesh without vertices).
struct MeshBounds {
  std::array<float, 3> low, high;
  std::array<float, 3> centre() const { return {0.5f * (low[0] + high[0]), 0.5f * (low[1] + high[1]), 0.5f * (low[2] + high[2])}; }
  std::array<float, 3> size() const { return {high[0] - low[0], high[1] - low[1], high[2] - low[2]}; }
};
MeshBounds mesh_bounds(const Mesh& mesh);

// Sets mesh.normals to the unit sum of the adjacent triangles' (counter-clockwise) face normals
// weighted by their areas. A vertex without any area around it gets +Z so every normal is unit length.
void compute_vertex_normals(Mesh& mesh);

// Merges vertices whose positions are bitwise equal (marching cubes repeats a grid point where the
// field is exactly 0 there; triangle soups repeat every corner), drops unreferenced vertices and the
// triangles that collapse. A merged vertex keeps the colour of one of its copies; normals, if present,
// are recomputed.
void weld_vertices(Mesh& mesh);

// Reduces the mesh to at most about target_triangles triangles with meshoptimizer's
// topology-preserving edge-collapse simplifier, keeping the surviving vertices' attributes. The
// simplifier may stop above the target when no further collapse keeps the topology. Does nothing if
// the mesh already has at most target_triangles triangles.
void simplify_mesh(Mesh& mesh, std::size_t target_triangles);

}  // namespace shape
