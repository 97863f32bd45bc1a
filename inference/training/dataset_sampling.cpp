#include "inference/training/dataset_sampling.h"

#include <ATen/CPUGeneratorImpl.h>
#include <stdexcept>
#include <utility>

#include <torch/torch.h>

namespace shape::training {

uint64_t mix_seed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

ShapeSample assemble_sample(std::string caption, const SampleOptions& options, uint64_t seed,
                            const SurfaceSampler& surface, const SignedDistanceFunction& targets) {
  if (options.surface_points < 0 || options.near_surface_points < 0 || options.uniform_points < 0) {
    throw std::invalid_argument("SampleOptions: point counts must not be negative");
  }
  if (!(options.near_surface_sigma >= 0.0)) throw std::invalid_argument("SampleOptions: near_surface_sigma must be >= 0");

  ShapeSample sample;
  sample.caption = std::move(caption);
  sample.surface = surface(options.surface_points, mix_seed(seed, 0));

  const torch::Tensor anchors = surface(options.near_surface_points, mix_seed(seed, 1)).slice(1, 0, 3);
  torch::Generator generator = at::detail::createCPUGenerator(mix_seed(seed, 2));
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  const torch::Tensor near = anchors + options.near_surface_sigma * torch::randn({anchors.size(0), 3}, generator, f32);
  const torch::Tensor uniform = torch::rand({options.uniform_points, 3}, generator, f32) * 2.0f - 1.0f;
  sample.query_points = torch::cat({near, uniform}, 0).contiguous();
  sample.query_sdf = targets(sample.query_points, &sample.query_colour).to(torch::kFloat32).contiguous();
  sample.query_colour = sample.query_colour.to(torch::kFloat32).contiguous();
  return sample;
}

}  // namespace shape::training
