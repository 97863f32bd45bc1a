// Marching cubes as shap-e's rendering/mc.py computes it, so vertices (order included) and faces
// match the official meshes.
#pragma once

#include <array>

#include <torch/types.h>

namespace shape {

struct MarchingCubesResult {
  torch::Tensor vertices;  // [V, 3] float32, in the box [min_point, min_point + size]
  torch::Tensor faces;     // [F, 3] int64 vertex indices
};

// `field` [X, Y, Z] float32: positive inside, the surface is the 0 level set. Grid index (i, j, k)
// maps to min_point + size * (i, j, k) / (dims - 1).
MarchingCubesResult marching_cubes(const torch::Tensor& field, const std::array<float, 3>& min_point,
                                   const std::array<float, 3>& size);

}  // namespace shape
