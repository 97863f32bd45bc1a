#include "inference/training/tower_widening.h"

#include <string>

#include <torch/torch.h>

#include "inference/training/training_run.h"

namespace shape::training {

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
  StateDict result;
  for (const auto& name : tower.keys()) result.insert(name, name == kernel_name ? widened : tower.at(name));
  return result;
}

}  // namespace shape::training
