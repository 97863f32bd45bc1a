#include "inference/training/tower_widening.h"

#include <cmath>
#include <string>

#include <torch/torch.h>

#include "inference/training/training_run.h"

namespace shape::training {
namespace {

// `tower` with `name` replaced by `tensor`; the other tensors shared, in the same order.
StateDict with_tensor(const StateDict& tower, const std::string& name, const torch::Tensor& tensor) {
  StateDict result;
  for (const auto& key : tower.keys()) result.insert(key, key == name ? tensor : tower.at(key));
  return result;
}

}  // namespace

StateDict widen_patch_kernels(const StateDict& tower, int64_t patch_size) {
  const std::string kernel_name = "visual.conv1.weight";
  const torch::Tensor& kernel = tower.at(kernel_name);
  const int64_t old_patch = kernel.size(3);
  if (old_patch == patch_size) return tower;
  if (patch_size < old_patch || patch_size % old_patch != 0) {
    throw TrainingError("the starting vision tower has " + std::to_string(old_patch) +
                        " px patches: a tower with " + std::to_string(patch_size) +
                        " px patches cannot start from it (widening needs a whole multiple of its patch size)");
  }
  const int64_t factor = patch_size / old_patch;
  const torch::Tensor widened =
      kernel.repeat_interleave(factor, 2).repeat_interleave(factor, 3) / static_cast<double>(factor * factor);
  return with_tensor(tower, kernel_name, widened);
}

StateDict resample_patch_grid(const StateDict& tower, int64_t grid_side) {
  const std::string embedding_name = "visual.positional_embedding";
  const torch::Tensor& embedding = tower.at(embedding_name);
  const int64_t old_side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(embedding.size(0) - 1))));
  if (old_side < 1 || old_side * old_side + 1 != embedding.size(0)) {
    throw TrainingError("the starting vision tower's positional embedding has " + std::to_string(embedding.size(0)) +
                        " rows, not a class token and a square grid");
  }
  if (grid_side < 1) throw TrainingError("a patch grid needs at least 1 x 1 patches");
  if (old_side == grid_side) return tower;
  const int64_t width = embedding.size(1);
  // [side², width] -> [1, width, side, side], the layout interpolate reads.
  const auto grid = embedding.slice(0, 1).to(torch::kFloat32).t().reshape({1, width, old_side, old_side});
  const auto resampled = torch::nn::functional::interpolate(
      grid, torch::nn::functional::InterpolateFuncOptions()
                .size(std::vector<int64_t>{grid_side, grid_side})
                .mode(torch::kBicubic)
                .align_corners(false));
  const auto rows = resampled.reshape({width, grid_side * grid_side}).t().to(embedding.scalar_type());
  return with_tensor(tower, embedding_name, torch::cat({embedding.slice(0, 0, 1), rows}));
}

}  // namespace shape::training
