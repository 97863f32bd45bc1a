// Which primitive a mesh is: every kind is fitted to the mesh's bounding box (its proportions
// clamped to the kind's range, see primitive_signed_distance) and scored by how far the mesh's
// vertices are from that shape's surface. Decoded meshes are smooth (an MLP's level set rounds
// edges and blunts apexes), so each kind with edges is also tried rounded: the fitted shape shrunk
// by r and grown back by a ball of radius r, with r up to 60% of its smallest half-extent. Even
// then a rounded cube keeps flat faces (it is not a sphere) and a rounded cylinder a flat top (it
// is not a capsule). Sphere, torus and capsule have no edges to blunt and are fitted as they are: a
// rounded torus is a fatter one, which would pass for a dimpled sphere.
#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

#include <torch/torch.h>

#include "inference/training/primitives.h"

namespace shape::training {

PrimitiveClassification classify_primitive(const Mesh& mesh) {
  if (mesh.positions.empty()) throw std::invalid_argument("classify_primitive: the mesh has no vertices");
  torch::Tensor positions = torch::empty({static_cast<int64_t>(mesh.positions.size()), 3}, torch::kFloat32);
  std::memcpy(positions.data_ptr<float>(), mesh.positions.data(), mesh.positions.size() * sizeof(mesh.positions[0]));
  const torch::Tensor low = std::get<0>(positions.min(0)), high = std::get<0>(positions.max(0));
  const torch::Tensor half = ((high - low) / 2).contiguous();

  // The boxes every kind is fitted to, the same for all kinds. A mesh cuts off an apex (marching
  // cubes misses the tip between grid points), so the box's top is also tried raised by up to 15% of
  // its height; shapes with a flat or round top fit best unraised. Each box is also tried rounded
  // (for the kinds with edges).
  struct Box {
    std::array<float, 3> half_extents;  // of the shape before rounding
    float rounding_radius;
    torch::Tensor centred;  // the mesh's vertices about the box's centre
  };
  std::vector<Box> boxes;
  for (int step = 0; step <= 5; ++step) {
    const torch::Tensor raise = torch::tensor({0.0f, 0.0f, 0.03f * static_cast<float>(step)}) * half[2];
    const torch::Tensor fitted_half = half + raise / 2;
    const torch::Tensor centred = positions - (low + high + raise) / 2;
    for (const float rounding : {0.0f, 0.15f, 0.3f, 0.45f, 0.6f}) {  // of the smallest half-extent
      Box box{{}, rounding * fitted_half.min().item<float>(), centred};
      for (size_t k = 0; k < 3; ++k) {
        box.half_extents[k] = fitted_half[static_cast<int64_t>(k)].item<float>() - box.rounding_radius;
      }
      boxes.push_back(std::move(box));
    }
  }

  PrimitiveClassification result{PrimitiveKind::kCube, 0, {}};
  double best = std::numeric_limits<double>::infinity();
  for (PrimitiveKind kind : all_primitive_kinds()) {
    const bool has_edges = kind != PrimitiveKind::kSphere && kind != PrimitiveKind::kTorus &&
                           kind != PrimitiveKind::kCapsule;
    double error = std::numeric_limits<double>::infinity();
    for (const Box& box : boxes) {
      if (box.rounding_radius > 0 && !has_edges) continue;
      PrimitiveSpec fitted;
      fitted.kind = kind;
      fitted.half_extents = box.half_extents;
      const auto distance = primitive_signed_distance(fitted, box.centred) + box.rounding_radius;  // positive inside
      error = std::min(error, distance.abs().mean().item<double>());
    }
    result.kind_errors.push_back(error);
    if (error < best) best = error, result.kind = kind;
  }

  std::array<double, 3> mean = {0.5, 0.5, 0.5};  // an uncoloured mesh is mid-grey
  if (!mesh.colors.empty()) {
    mean = {0, 0, 0};
    for (const auto& colour : mesh.colors) {
      for (size_t k = 0; k < 3; ++k) mean[k] += colour[k];
    }
    for (double& m : mean) m /= static_cast<double>(mesh.colors.size());
  }
  best = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < primitive_colours().size(); ++i) {
    double distance2 = 0;
    for (size_t k = 0; k < 3; ++k) distance2 += (mean[k] - primitive_colours()[i].rgb[k]) * (mean[k] - primitive_colours()[i].rgb[k]);
    if (distance2 < best) best = distance2, result.colour = static_cast<int64_t>(i);
  }
  return result;
}

}  // namespace shape::training
