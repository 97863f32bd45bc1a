// Copies a checkpoint's tensors into a module's parameters and buffers by name.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <torch/nn/module.h>

#include "inference/checkpoint/state_dict.h"

namespace shape {

// The checkpoint does not fit the model: the message lists missing keys, shape mismatches and
// unexpected keys (up to a limit per kind, with a count of the rest).
class WeightBindingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct WeightBindingOptions {
  // Checkpoint keys under these prefixes are skipped (and reported) rather than rejected, e.g. the
  // transmitter's encoder trunk, which decoding does not need.
  std::vector<std::string> ignored_prefixes;
  // Prepended to the module's own names when looking them up in the checkpoint.
  std::string key_prefix;
};

struct WeightBindingReport {
  size_t bound = 0;
  std::vector<std::string> ignored_keys;
};

// Every parameter and buffer of `module` must be present with the same shape; values are converted
// to the module's dtype and device. Checkpoint keys the module does not have are an error unless
// ignored. Nothing is modified if any check fails.
WeightBindingReport bind_weights(torch::nn::Module& module, const StateDict& weights,
                                 const WeightBindingOptions& options = {});

}  // namespace shape
