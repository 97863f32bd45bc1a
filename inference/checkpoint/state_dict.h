// Named tensors in file order: what a checkpoint holds and what a model binds its weights from.
#pragma once

#include <functional>
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

// Tensors are either held or unread: an unread one (open_checkpoint) has its shape and dtype known
// and its bytes read only when asked for, so a model binds what it needs and the rest of the file
// (another model's tower, an encoder that decoding ignores) is never read. Reading an unread tensor
// through at() stores it, so that call is not thread-safe; everything else is const.
class StateDict {
 public:
  using Reader = std::function<torch::Tensor()>;

  // Throws CheckpointError if `name` is already present.
  void insert(const std::string& name, torch::Tensor tensor);
  // `read` returns the tensor (of these sizes and dtype) or throws CheckpointError.
  void insert_unread(const std::string& name, std::vector<int64_t> sizes, torch::ScalarType dtype, Reader read);
  bool contains(const std::string& name) const;
  // Throws CheckpointError naming the key if it is absent. Reads an unread tensor and keeps it.
  const torch::Tensor& at(const std::string& name) const;
  // The tensor without keeping it here: an unread one is read anew each call and lives only as
  // long as the caller holds it (e.g. while it is copied into a parameter of another dtype).
  torch::Tensor read(const std::string& name) const;
  // Shape and dtype without reading. Throw CheckpointError naming the key if it is absent.
  c10::IntArrayRef sizes(const std::string& name) const;
  torch::ScalarType dtype(const std::string& name) const;
  // Keys in insertion (file) order.
  const std::vector<std::string>& keys() const { return keys_; }
  size_t size() const { return keys_.size(); }
  bool empty() const { return keys_.empty(); }

 private:
  struct Entry {
    mutable torch::Tensor tensor;  // undefined while unread
    std::vector<int64_t> sizes;
    torch::ScalarType dtype = torch::kFloat32;
    Reader read;  // empty for held tensors
  };
  const Entry& entry(const std::string& name) const;

  std::vector<std::string> keys_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace shape
