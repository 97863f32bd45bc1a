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
  // A parameter or buffer whose dtype and device already match takes the checkpoint's tensor itself
  // instead of a copy (the module then shares its memory with `weights`: for a checkpoint from
  // load_checkpoint or open_checkpoint, the file's mapping, no copy at all). Only the dtype
  // conversions are copied, straight into the module's memory. Leave it off where the module will
  // be changed in place while `weights` is used elsewhere.
  bool share_memory = false;
};

struct WeightBindingReport {
  size_t bound = 0;
  std::vector<std::string> ignored_keys;
};

// Every parameter and buffer of `module` must be present with the same shape; values are converted
// to the module's dtype and device. Checkpoint keys the module does not have are an error unless
// ignored. Nothing is modified if any check fails. Checks use only the shapes, so unread tensors
// (open_checkpoint) are read one at a time while binding, and ignored ones never; a tensor that
// fails to read then (CheckpointError) leaves the module partly bound.
WeightBindingReport bind_weights(torch::nn::Module& module, const StateDict& weights,
                                 const WeightBindingOptions& options = {});

}  // namespace shape
