// Named tensors in file order: what a checkpoint holds and what a model binds its weights from.
#pragma once

#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include <torch/types.h>

namespace shape {

// Any failure to read a checkpoint: truncated, corrupt, hostile or unsupported files.
// The message names the file and what is wrong with it.
class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class StateDict {
 public:
  // Throws CheckpointError if `name` is already present.
  void insert(const std::string& name, torch::Tensor tensor);
  bool contains(const std::string& name) const;
  // Throws CheckpointError naming the key if it is absent.
  const torch::Tensor& at(const std::string& name) const;
  // Keys in insertion (file) order.
  const std::vector<std::string>& keys() const { return keys_; }
  size_t size() const { return keys_.size(); }
  bool empty() const { return keys_.empty(); }

 private:
  std::vector<std::string> keys_;
  std::unordered_map<std::string, torch::Tensor> tensors_;
};

}  // namespace shape
