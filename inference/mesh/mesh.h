// A triangle mesh as Shap-E produces it: positions in the model's Z-up frame (the [-1, 1] cube),
// per-vertex normals and linear-RGB colours. Plain data without LibTorch, shared by the STF mesher,
// the exporters and the renderer.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace shape {

struct Mesh {
  std::vector<std::array<float, 3>> positions;
  std::vector<std::array<float, 3>> normals;  // unit length; empty if not computed
  std::vector<std::array<float, 3>> colors;   // linear RGB in [0, 1]; empty if uncoloured
  std::vector<std::array<uint32_t, 3>> triangles;

  bool empty() const { return triangles.empty(); }
};

}  // namespace shape
