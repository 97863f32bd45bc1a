#include "renderer/mesh_geometry.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace shape::render {

std::vector<Vec3f> compute_vertex_normals(const std::vector<Vec3f>& positions, const std::vector<Triangle>& triangles) {
  std::vector<Vec3f> normals(positions.size(), Vec3f{0.0f, 0.0f, 0.0f});
  for (const Triangle& t : triangles) {
    const Vec3f& a = positions[t[0]];
    const Vec3f& b = positions[t[1]];
    const Vec3f& c = positions[t[2]];
    const Vec3f ab{b[0] - a[0], b[1] - a[1], b[2] - a[2]};
    const Vec3f ac{c[0] - a[0], c[1] - a[1], c[2] - a[2]};
    // The unnormalised cross product weights each face by twice its area.
    const Vec3f face{ab[1] * ac[2] - ab[2] * ac[1], ab[2] * ac[0] - ab[0] * ac[2], ab[0] * ac[1] - ab[1] * ac[0]};
    for (uint32_t index : t) {
      for (int k = 0; k < 3; ++k) normals[index][k] += face[k];
    }
  }
  for (Vec3f& n : normals) {
    const float length = std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    if (length > 0.0f) {
      for (float& component : n) component /= length;
    }
  }
  return normals;
}

std::vector<uint32_t> unique_edges(const std::vector<Triangle>& triangles) {
  std::vector<std::pair<uint32_t, uint32_t>> edges;
  edges.reserve(triangles.size() * 3);
  for (const Triangle& t : triangles) {
    for (int k = 0; k < 3; ++k) {
      const uint32_t a = t[k];
      const uint32_t b = t[(k + 1) % 3];
      edges.emplace_back(std::min(a, b), std::max(a, b));
    }
  }
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  std::vector<uint32_t> indices;
  indices.reserve(edges.size() * 2);
  for (const auto& [a, b] : edges) {
    indices.push_back(a);
    indices.push_back(b);
  }
  return indices;
}

MeshGeometry build_mesh_geometry(const std::vector<Vec3f>& positions, const std::vector<Vec3f>& normals,
                                 const std::vector<Vec3f>& colors, const std::vector<Triangle>& triangles,
                                 bool with_edges) {
  if (!normals.empty() && normals.size() != positions.size()) {
    throw std::invalid_argument("mesh: normals must be empty or one per position");
  }
  if (!colors.empty() && colors.size() != positions.size()) {
    throw std::invalid_argument("mesh: colors must be empty or one per position");
  }
  for (const Triangle& t : triangles) {
    for (uint32_t index : t) {
      if (index >= positions.size()) throw std::invalid_argument("mesh: triangle index out of range");
    }
  }

  const std::vector<Vec3f> computed = normals.empty() ? compute_vertex_normals(positions, triangles) : std::vector<Vec3f>{};
  const std::vector<Vec3f>& vertex_normals = normals.empty() ? computed : normals;

  MeshGeometry geometry;
  geometry.vertices.resize(positions.size());
  for (std::size_t i = 0; i < positions.size(); ++i) {
    geometry.vertices[i] = {positions[i], vertex_normals[i], colors.empty() ? kDefaultMeshColor : colors[i]};
  }
  geometry.triangle_indices.reserve(triangles.size() * 3);
  for (const Triangle& t : triangles) geometry.triangle_indices.insert(geometry.triangle_indices.end(), t.begin(), t.end());
  if (with_edges) geometry.edge_indices = unique_edges(triangles);
  return geometry;
}

}  // namespace shape::render
