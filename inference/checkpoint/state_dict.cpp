#include "inference/checkpoint/state_dict.h"

namespace shape {

void StateDict::insert(const std::string& name, torch::Tensor tensor) {
  Entry entry;
  if (tensor.defined()) {
    entry.sizes = tensor.sizes().vec();
    entry.dtype = tensor.scalar_type();
  }
  entry.tensor = std::move(tensor);
  if (!entries_.emplace(name, std::move(entry)).second) throw CheckpointError("duplicate tensor name '" + name + "'");
  keys_.push_back(name);
}

void StateDict::insert_unread(const std::string& name, std::vector<int64_t> sizes, torch::ScalarType dtype,
                              Reader read) {
  Entry entry;
  entry.sizes = std::move(sizes);
  entry.dtype = dtype;
  entry.read = std::move(read);
  if (!entries_.emplace(name, std::move(entry)).second) throw CheckpointError("duplicate tensor name '" + name + "'");
  keys_.push_back(name);
}

bool StateDict::contains(const std::string& name) const { return entries_.count(name) != 0; }

const StateDict::Entry& StateDict::entry(const std::string& name) const {
  const auto it = entries_.find(name);
  if (it == entries_.end()) throw CheckpointError("no tensor named '" + name + "'");
  return it->second;
}

const torch::Tensor& StateDict::at(const std::string& name) const {
  const Entry& found = entry(name);
  if (!found.tensor.defined() && found.read) found.tensor = found.read();
  return found.tensor;
}

torch::Tensor StateDict::read(const std::string& name) const {
  const Entry& found = entry(name);
  return found.tensor.defined() || !found.read ? found.tensor : found.read();
}

c10::IntArrayRef StateDict::sizes(const std::string& name) const { return entry(name).sizes; }

torch::ScalarType StateDict::dtype(const std::string& name) const { return entry(name).dtype; }

}  // namespace shape
