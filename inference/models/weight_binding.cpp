#include "inference/models/weight_binding.h"

#include <set>
#include <sstream>

#include <torch/torch.h>

namespace shape {
namespace {

constexpr size_t kListedPerKind = 12;

void append_list(std::ostringstream& out, const std::string& title, const std::vector<std::string>& items) {
  if (items.empty()) return;
  out << "\n  " << title << " (" << items.size() << "):";
  for (size_t i = 0; i < items.size() && i < kListedPerKind; ++i) out << "\n    " << items[i];
  if (items.size() > kListedPerKind) out << "\n    ... and " << items.size() - kListedPerKind << " more";
}

std::string shape_string(c10::IntArrayRef sizes) {
  std::ostringstream out;
  out << sizes;
  return out.str();
}

bool has_prefix(const std::string& key, const std::vector<std::string>& prefixes) {
  for (const auto& prefix : prefixes) {
    if (key.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

}  // namespace

WeightBindingReport bind_weights(torch::nn::Module& module, const StateDict& weights,
                                 const WeightBindingOptions& options) {
  std::vector<std::pair<std::string, torch::Tensor>> targets;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) targets.emplace_back(item.key(), item.value());
  for (const auto& item : module.named_buffers(/*recurse=*/true)) targets.emplace_back(item.key(), item.value());

  std::vector<std::string> missing, mismatched, unexpected;
  std::set<std::string> expected;
  for (const auto& [name, target] : targets) {
    const auto key = options.key_prefix + name;
    expected.insert(key);
    if (!weights.contains(key)) {
      missing.push_back(key + " " + shape_string(target.sizes()));
    } else if (weights.sizes(key) != target.sizes()) {
      mismatched.push_back(key + ": checkpoint " + shape_string(weights.sizes(key)) + ", model " +
                           shape_string(target.sizes()));
    }
  }
  WeightBindingReport report;
  for (const auto& key : weights.keys()) {
    if (expected.count(key)) continue;
    if (has_prefix(key, options.ignored_prefixes)) {
      report.ignored_keys.push_back(key);
    } else {
      unexpected.push_back(key);
    }
  }
  if (!missing.empty() || !mismatched.empty() || !unexpected.empty()) {
    std::ostringstream message;
    message << "checkpoint does not match the model";
    append_list(message, "missing tensors", missing);
    append_list(message, "shape mismatches", mismatched);
    append_list(message, "unexpected tensors", unexpected);
    throw WeightBindingError(message.str());
  }

  torch::NoGradGuard no_grad;
  for (auto& [name, target] : targets) {
    // read(): an unread source lives only until it is bound, so a converted one's memory goes at once.
    const torch::Tensor source = weights.read(options.key_prefix + name);
    if (options.share_memory && source.scalar_type() == target.scalar_type() && source.device() == target.device() &&
        source.is_contiguous()) {
      target.set_data(source);
    } else {
      target.copy_(source);
    }
    ++report.bound;
  }
  return report;
}

}  // namespace shape
