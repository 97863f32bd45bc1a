// Shared by the datasets: seed mixing and the assembly of a ShapeSample from a shape's surface
// sampler and its signed-distance-and-colour function.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <torch/types.h>

#include "inference/training/shape_dataset.h"

namespace shape::training {

// splitmix64 of the pair: independent streams per (seed, index) without touching global RNG state.
uint64_t mix_seed(uint64_t seed, uint64_t stream);

// [count, 6] surface points with colours, deterministic in `seed`.
using SurfaceSampler = std::function<torch::Tensor(int64_t count, uint64_t seed)>;
// points [Q, 3] -> signed distance [Q] (positive inside); fills colour [Q, 3].
using SignedDistanceFunction = std::function<torch::Tensor(const torch::Tensor& points, torch::Tensor* colour)>;

// Surface points, near-surface queries (other surface points jittered by N(0, sigma)) and uniform
// queries in [-1, 1]^3, each from its own stream of `seed`. Throws std::invalid_argument for
// negative counts or sigma.
ShapeSample assemble_sample(std::string caption, const SampleOptions& options, uint64_t seed,
                            const SurfaceSampler& surface, const SignedDistanceFunction& targets);

}  // namespace shape::training
