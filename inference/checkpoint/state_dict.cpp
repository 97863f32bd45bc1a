#include "inference/checkpoint/state_dict.h"

namespace shape {

void StateDict::insert(const std::string& name, torch::Tensor tensor) {
  if (!tensors_.emplace(name, std::move(tensor)).second) {
    throw CheckpointError("duplicate tensor name '" + name + "'");
  }
  keys_.push_back(name);
}

bool StateDict::contains(const std::string& name) const { return tensors_.count(name) != 0; }

const torch::Tensor& StateDict::at(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw CheckpointError("no tensor named '" + name + "'");
  return it->second;
}

}  // namespace shape
