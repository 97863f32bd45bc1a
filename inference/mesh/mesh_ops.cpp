#include "inference/mesh/mesh_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include <meshoptimizer.h>
#include <torch/types.h>

namespace shape {
namespace {

using Vec3 = std::array<float, 3>;

std::string shape_string(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  return s + "]";
}

void require_rows_of_3(const torch::Tensor& t, const char* name) {
  if (t.dim() != 2 || t.size(1) != 3) {
    throw std::invalid_argument(std::string("mesh_from_tensors: ") + name + " must be [N, 3], got " + shape_string(t));
  }
}

std::vector<Vec3> rows_of_floats(const torch::Tensor& t) {
  const torch::Tensor values = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  std::vector<Vec3> rows(static_cast<size_t>(values.size(0)));
  std::memcpy(rows.data(), values.data_ptr<float>(), rows.size() * sizeof(Vec3));
  return rows;
}

Vec3 triangle_area_normal(const Vec3& a, const Vec3& b, const Vec3& c) {  // length = 2 * area
  const Vec3 u = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
  const Vec3 v = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
  return {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
}

// Applies a meshoptimizer remap table (old vertex -> new vertex) to one attribute stream.
template <typename T>
void remap_stream(std::vector<T>& stream, const std::vector<unsigned int>& remap, size_t new_count) {
  if (stream.empty()) return;
  std::vector<T> remapped(new_count);
  meshopt_remapVertexBuffer(remapped.data(), stream.data(), stream.size(), sizeof(T), remap.data());
  stream.swap(remapped);
}

void remap_vertices(Mesh& mesh, const std::vector<unsigned int>& remap, size_t new_count) {
  auto* indices = reinterpret_cast<unsigned int*>(mesh.triangles.data());
  meshopt_remapIndexBuffer(indices, indices, mesh.triangles.size() * 3, remap.data());
  remap_stream(mesh.positions, remap, new_count);
  remap_stream(mesh.normals, remap, new_count);
  remap_stream(mesh.colors, remap, new_count);
}

void remove_collapsed_triangles(Mesh& mesh) {
  std::vector<std::array<uint32_t, 3>> kept;
  kept.reserve(mesh.triangles.size());
  for (const auto& t : mesh.triangles) {
    if (t[0] != t[1] && t[1] != t[2] && t[2] != t[0]) kept.push_back(t);
  }
  mesh.triangles.swap(kept);
}

}  // namespace

Mesh mesh_from_tensors(const at::Tensor& vertices, const at::Tensor& faces, const at::Tensor& colors) {
  require_rows_of_3(vertices, "vertices");
  require_rows_of_3(faces, "faces");
  if (!vertices.is_floating_point()) throw std::invalid_argument("mesh_from_tensors: vertices must be floating point");
  if (faces.is_floating_point() || faces.is_complex() || faces.scalar_type() == torch::kBool) {
    throw std::invalid_argument("mesh_from_tensors: faces must be integer indices");
  }
  const int64_t vertex_count = vertices.size(0);
  if (vertex_count > int64_t{UINT32_MAX}) throw std::invalid_argument("mesh_from_tensors: too many vertices");

  Mesh mesh;
  mesh.positions = rows_of_floats(vertices);
  if (colors.defined()) {
    require_rows_of_3(colors, "colors");
    if (colors.size(0) != vertex_count) {
      throw std::invalid_argument("mesh_from_tensors: colors " + shape_string(colors) + " do not match vertices " +
                                  shape_string(vertices));
    }
    mesh.colors = rows_of_floats(colors);
  }
  const torch::Tensor indices = faces.detach().to(torch::kCPU, torch::kInt64).contiguous();
  if (indices.numel() > 0) {
    const int64_t low = indices.min().item<int64_t>(), high = indices.max().item<int64_t>();
    if (low < 0 || high >= vertex_count) {
      throw std::invalid_argument("mesh_from_tensors: face indices span [" + std::to_string(low) + ", " +
                                  std::to_string(high) + "] but there are " + std::to_string(vertex_count) +
                                  " vertices");
    }
  }
  const int64_t* index = indices.data_ptr<int64_t>();
  mesh.triangles.resize(static_cast<size_t>(indices.size(0)));
  for (auto& triangle : mesh.triangles) {
    for (auto& corner : triangle) corner = static_cast<uint32_t>(*index++);
  }
  compute_vertex_normals(mesh);
  return mesh;
}

void check_mesh(const Mesh& mesh) {
  const size_t n = mesh.positions.size();
  if (!mesh.normals.empty() && mesh.normals.size() != n) {
    throw std::invalid_argument("mesh has " + std::to_string(mesh.normals.size()) + " normals for " +
                                std::to_string(n) + " vertices");
  }
  if (!mesh.colors.empty() && mesh.colors.size() != n) {
    throw std::invalid_argument("mesh has " + std::to_string(mesh.colors.size()) + " colours for " +
                                std::to_string(n) + " vertices");
  }
  for (size_t i = 0; i < mesh.triangles.size(); ++i) {
    for (uint32_t v : mesh.triangles[i]) {
      if (v >= n) {
        throw std::invalid_argument("triangle " + std::to_string(i) + " uses vertex " + std::to_string(v) +
                                    " of " + std::to_string(n));
      }
    }
  }
  for (size_t i = 0; i < n; ++i) {
    for (float c : mesh.positions[i]) {
      if (!std::isfinite(c)) throw std::invalid_argument("vertex " + std::to_string(i) + " is not finite");
    }
  }
}

MeshBounds mesh_bounds(const Mesh& mesh) {
  MeshBounds bounds{{INFINITY, INFINITY, INFINITY}, {-INFINITY, -INFINITY, -INFINITY}};
  for (const auto& p : mesh.positions) {
    for (int a = 0; a < 3; ++a) {
      bounds.low[a] = std::min(bounds.low[a], p[a]);
      bounds.high[a] = std::max(bounds.high[a], p[a]);
    }
  }
  return bounds;
}

void compute_vertex_normals(Mesh& mesh) {
  std::vector<std::array<double, 3>> sums(mesh.positions.size(), {0.0, 0.0, 0.0});
  for (const auto& t : mesh.triangles) {
    const Vec3 n = triangle_area_normal(mesh.positions[t[0]], mesh.positions[t[1]], mesh.positions[t[2]]);
    for (uint32_t v : t) {
      for (int a = 0; a < 3; ++a) sums[v][a] += n[a];
    }
  }
  mesh.normals.resize(mesh.positions.size());
  for (size_t i = 0; i < sums.size(); ++i) {
    const auto& s = sums[i];
    const double length = std::sqrt(s[0] * s[0] + s[1] * s[1] + s[2] * s[2]);
    if (length > 0.0 && std::isfinite(length)) {
      mesh.normals[i] = {static_cast<float>(s[0] / length), static_cast<float>(s[1] / length),
                         static_cast<float>(s[2] / length)};
    } else {
      mesh.normals[i] = {0.0f, 0.0f, 1.0f};
    }
  }
}

void weld_vertices(Mesh& mesh) {
  if (mesh.triangles.empty()) {
    mesh = Mesh{};
    return;
  }
  const bool had_normals = !mesh.normals.empty();
  std::vector<unsigned int> remap(mesh.positions.size());
  const size_t unique_count =
      meshopt_generateVertexRemap(remap.data(), reinterpret_cast<const unsigned int*>(mesh.triangles.data()),
                                  mesh.triangles.size() * 3, mesh.positions.data(), mesh.positions.size(), sizeof(Vec3));
  remap_vertices(mesh, remap, unique_count);
  remove_collapsed_triangles(mesh);
  if (had_normals) compute_vertex_normals(mesh);
}

void simplify_mesh(Mesh& mesh, size_t target_triangles) {
  if (mesh.triangles.size() <= target_triangles) return;
  const size_t index_count = mesh.triangles.size() * 3;
  const auto* indices = reinterpret_cast<const unsigned int*>(mesh.triangles.data());
  std::vector<unsigned int> simplified(index_count);
  // The caller asks for a triangle count, not a quality: allow any error (relative to the extent).
  constexpr float kUnboundedError = 1.0f;
  const size_t kept = meshopt_simplify(simplified.data(), indices, index_count, &mesh.positions[0][0],
                                       mesh.positions.size(), sizeof(Vec3), target_triangles * 3, kUnboundedError,
                                       /*options=*/0, /*result_error=*/nullptr);
  mesh.triangles.resize(kept / 3);
  std::memcpy(mesh.triangles.data(), simplified.data(), kept * sizeof(unsigned int));

  // Keep only the vertices that survive, in first-use order.
  std::vector<unsigned int> remap(mesh.positions.size());
  const size_t used = meshopt_optimizeVertexFetchRemap(remap.data(), simplified.data(), kept, mesh.positions.size());
  remap_vertices(mesh, remap, used);
}

}  // namespace shape
