// Small test meshes and comparisons shared by the mesh-ops and mesh-export tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "inference/mesh/marching_cubes.h"
#include "inference/mesh/mesh.h"
#include "inference/mesh/mesh_ops.h"

namespace shape::testing {

// A marching-cubes sphere of radius 0.6 on an n^3 grid over [-1, 1]^3, coloured by position
// (colour = (p + 1) / 2), with area-weighted normals: the kind of mesh the STF decoder produces.
inline Mesh colored_sphere(int64_t n) {
  auto axis = torch::linspace(-1.0, 1.0, n, torch::kFloat32);
  auto grids = torch::meshgrid({axis, axis, axis}, "ij");
  auto field = 0.6f - (grids[0].square() + grids[1].square() + grids[2].square()).sqrt();
  auto surface = marching_cubes(field, {-1, -1, -1}, {2, 2, 2});
  auto colors = ((surface.vertices + 1.0f) / 2.0f).clamp(0.0f, 1.0f);
  return mesh_from_tensors(surface.vertices, surface.faces, colors);
}

// An n x n grid of vertices in the plane z = 0.1 x, two triangles per cell, coloured by position.
inline Mesh grid_plane(uint32_t n) {
  Mesh mesh;
  for (uint32_t i = 0; i < n; ++i) {
    for (uint32_t j = 0; j < n; ++j) {
      const float x = static_cast<float>(i) / static_cast<float>(n - 1), y = static_cast<float>(j) / static_cast<float>(n - 1);
      mesh.positions.push_back({x, y, 0.1f * x});
      mesh.colors.push_back({x, y, 0.5f});
    }
  }
  for (uint32_t i = 0; i + 1 < n; ++i) {
    for (uint32_t j = 0; j + 1 < n; ++j) {
      const uint32_t a = i * n + j, b = (i + 1) * n + j, c = (i + 1) * n + j + 1, d = i * n + j + 1;
      mesh.triangles.push_back({a, b, c});
      mesh.triangles.push_back({a, c, d});
    }
  }
  compute_vertex_normals(mesh);
  return mesh;
}

// The unit cube [0, 1]^3 as a triangle soup: 12 outward-wound triangles with 3 vertices each.
inline Mesh cube_soup() {
  const std::array<std::array<float, 3>, 8> corners = {{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {1, 1, 0},
                                                         {0, 0, 1}, {1, 0, 1}, {0, 1, 1}, {1, 1, 1}}};
  // Corner c = x + 2y + 4z; each face as two counter-clockwise triangles seen from outside.
  const int faces[12][3] = {{0, 2, 1}, {1, 2, 3}, {4, 5, 6}, {5, 7, 6}, {0, 1, 4}, {1, 5, 4},
                            {2, 6, 3}, {3, 6, 7}, {0, 4, 2}, {2, 4, 6}, {1, 3, 5}, {3, 7, 5}};
  Mesh mesh;
  for (const auto& face : faces) {
    const auto base = static_cast<uint32_t>(mesh.positions.size());
    for (int corner : face) {
      mesh.positions.push_back(corners[static_cast<size_t>(corner)]);
      mesh.colors.push_back(corners[static_cast<size_t>(corner)]);  // colour = position: equal copies weld
    }
    mesh.triangles.push_back({base, base + 1, base + 2});
  }
  return mesh;
}

// Max over vertices and components of |a - b|; infinity if the counts differ.
inline double max_difference(const std::vector<std::array<float, 3>>& a, const std::vector<std::array<float, 3>>& b) {
  if (a.size() != b.size()) return INFINITY;
  double worst = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    for (int k = 0; k < 3; ++k) worst = std::max(worst, std::abs(static_cast<double>(a[i][k]) - b[i][k]));
  }
  return worst;
}

// Every undirected edge is shared by exactly two triangles that traverse it in opposite directions.
inline ::testing::AssertionResult is_closed_and_oriented(const Mesh& mesh) {
  std::map<std::pair<uint32_t, uint32_t>, int> directed;
  for (const auto& t : mesh.triangles) {
    for (int k = 0; k < 3; ++k) ++directed[{t[k], t[(k + 1) % 3]}];
  }
  for (const auto& [edge, count] : directed) {
    if (count != 1) return ::testing::AssertionFailure() << "edge " << edge.first << "->" << edge.second << " used " << count << " times";
    if (!directed.count({edge.second, edge.first})) {
      return ::testing::AssertionFailure() << "open edge " << edge.first << "-" << edge.second;
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace shape::testing
