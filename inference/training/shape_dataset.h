// Training data for the encoder (stage 1): a shape is a coloured surface point cloud (the encoder's
// input) plus query points with signed-distance and colour targets (what the decoded MLP must
// answer). Shapes come from a folder of meshes with captions or from the procedural primitives.
// Coordinates are Shape Studio's frame: Z up, the object inside the [-1, 1] cube.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "inference/mesh/mesh.h"

namespace shape::training {

struct SampleOptions {
  int64_t surface_points = 1024;       // encoder input
  int64_t near_surface_points = 1024;  // surface points jittered by N(0, near_surface_sigma)
  int64_t uniform_points = 512;        // uniform in the [-1, 1] cube
  double near_surface_sigma = 0.03;
};

// One training example. Every tensor is float32 on the CPU.
struct ShapeSample {
  std::string caption;
  torch::Tensor surface;       // [surface_points, 6]: x y z, then linear RGB in [0, 1]
  torch::Tensor query_points;  // [near_surface_points + uniform_points, 3]
  torch::Tensor query_sdf;     // [Q]: signed distance, POSITIVE INSIDE (the decoder's convention)
  torch::Tensor query_colour;  // [Q, 3]: colour of the closest surface point
};

// A fixed, indexable set of shapes. sample(i, seed) is a pure function of (i, seed, options):
// the same arguments give bitwise the same tensors (training resumes exactly).
class ShapeDataset {
 public:
  virtual ~ShapeDataset() = default;
  virtual int64_t size() const = 0;
  virtual std::string caption(int64_t index) const = 0;
  // Every way the captions of shape `index` may be phrased, caption(index) first: stage 2 trains
  // on all of them, so a user need not guess the training form.
  virtual std::vector<std::string> caption_phrasings(int64_t index) const { return {caption(index)}; }
  virtual ShapeSample sample(int64_t index, uint64_t seed, const SampleOptions& options) const = 0;
};

// A folder of meshes (OBJ / PLY / GLB / glTF) and `captions.jsonl`, one JSON object per line:
//   {"mesh": "chairs/chair_01.obj", "caption": "a wooden chair"}
// Each mesh is centred and scaled uniformly into [-0.9, 0.9]^3 when loaded. Uncoloured meshes
// are mid-grey. Throws std::runtime_error naming the file and line of any problem (bad JSON,
// a missing mesh, an empty mesh, an empty caption, no entries at all).
std::unique_ptr<ShapeDataset> load_mesh_folder_dataset(const std::filesystem::path& folder);

// Points sampled uniformly over a mesh's area (colours interpolated from its vertices):
// [count, 6] as ShapeSample::surface. Deterministic in `seed`.
torch::Tensor sample_surface(const Mesh& mesh, int64_t count, uint64_t seed);

// Signed distance from each point [N, 3] to a closed mesh, positive inside: the distance to the
// closest triangle, its sign from the generalized winding number (inside where it is > 0.5).
// Also the colour at each closest point when `closest_colour` is given ([N, 3]).
torch::Tensor mesh_signed_distance(const Mesh& mesh, const torch::Tensor& points,
                                   torch::Tensor* closest_colour = nullptr);

}  // namespace shape::training
