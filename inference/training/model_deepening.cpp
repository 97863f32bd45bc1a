#include "inference/training/model_deepening.h"

#include <algorithm>
#include <regex>
#include <string>

#include <torch/torch.h>

#include "inference/checkpoint/safetensors_writer.h"
#include "inference/training/training_run.h"

namespace shape::training {
namespace {

// The residual block a tensor belongs to ("...backbone.resblocks.3.attn.c_proj.weight": 3), or -1.
int64_t block_of(const std::string& name) {
  static const std::regex block(R"((^|\.)backbone\.resblocks\.(\d+)\.)");
  std::smatch match;
  return std::regex_search(name, match, block) ? std::stoll(match[2].str()) : -1;
}

bool is_output_projection(const std::string& name) {
  return name.find(".attn.c_proj.") != std::string::npos || name.find(".mlp.c_proj.") != std::string::npos;
}

}  // namespace

StateDict deepen_transformer(const StateDict& start, const SplitVectorDiffusionImpl& model) {
  int64_t starting_blocks = 0;
  for (const auto& name : start.keys()) starting_blocks = std::max(starting_blocks, block_of(name) + 1);
  const int64_t blocks = model.config().layers;
  if (starting_blocks == blocks) return start;
  if (starting_blocks > blocks) {
    throw TrainingError("the starting model has " + std::to_string(starting_blocks) +
                        " transformer layers, more than the config's " + std::to_string(blocks) +
                        ": a model can start from a shallower one, not a deeper one");
  }
  StateDict deepened;
  for (const auto& name : start.keys()) deepened.insert(name, start.at(name));
  for (const auto& [name, tensor] : module_tensors(model)) {
    if (block_of(name) < starting_blocks) continue;
    torch::NoGradGuard no_grad;
    deepened.insert(name, is_output_projection(name) ? torch::zeros_like(tensor) : tensor.detach().clone());
  }
  return deepened;
}

}  // namespace shape::training
