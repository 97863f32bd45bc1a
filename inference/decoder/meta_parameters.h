// The per-latent weights a latent is decoded into ("meta parameters" in shap-e): the tensors the
// params projection produces and the NeRSTF MLP consumes in place of its own meta layers.
#pragma once

#include <map>
#include <string>

#include <torch/types.h>

namespace shape {

// Keyed by shap-e's names, e.g. "nerstf.mlp.0.weight" -> [batch, out, in] (a bias: [batch, out]).
using MetaParameters = std::map<std::string, torch::Tensor>;

// The meta parameters of latent `index` alone ([1, ...] tensors).
inline MetaParameters select_latent(const MetaParameters& params, int64_t index) {
  MetaParameters selected;
  for (const auto& [name, tensor] : params) selected[name] = tensor.narrow(0, index, 1);
  return selected;
}

}  // namespace shape
