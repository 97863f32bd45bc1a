// shap-e's MLPNeRSTFModel: one MLP that answers NeRF queries (density + view colour) and STF
// queries (signed distance + texture) at points, with the weights of its first layers taken per
// latent from the params projection ("meta" layers).
#pragma once

#include <cstdint>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>

#include "inference/decoder/decoder_config.h"
#include "inference/decoder/meta_parameters.h"

namespace shape {

// NeRF positional encoding: [x, sin(2^k x), sin(2^k x + pi/2)] for k < max_degree, frequency-major.
// x [..., d] -> [..., d * (1 + 2 * max_degree)]
torch::Tensor nerf_positional_encoding(const torch::Tensor& x, int64_t max_degree);

enum class NerfLevel { kCoarse, kFine };
enum class FieldMode { kNerf, kStf };  // which colour head answers: NeRF (coarse/fine) or STF texture

// Pre-activation outputs of the last layer and, where the layout needs them, of the layer before
// the direction is inserted.
struct NerstfRawOutput {
  torch::Tensor h;                // [batch, points, output width]
  torch::Tensor h_directionless;  // defined only if the layout reads from it
};

struct NerstfFields {
  torch::Tensor density;          // [batch, points, 1]
  torch::Tensor signed_distance;  // [batch, points, 1], positive inside
  torch::Tensor channels;         // [batch, points, 3] in [0, 1] (sRGB-ish, as the model predicts)
};

// One affine layer `mlp.N` with `weight` [out, in] and `bias` [out]. In a meta layer the meta
// tensors are buffers (or parameters with trainable_meta) that per-latent values replace.
class NerstfLayerImpl : public torch::nn::Module {
 public:
  NerstfLayerImpl(int64_t in, int64_t out, bool meta_weight, bool meta_bias, bool trainable_meta);
  torch::Tensor weight, bias;
};
TORCH_MODULE(NerstfLayer);

// The options positions, rays and fields take for queries with `params`: the meta parameters' device
// and dtype, but float32 where they are bf16 or fp16 (positions need float32; only the MLP's
// matrix products run in the half precision).
torch::TensorOptions field_options(const MetaParameters& params);

class NerstfMlpImpl : public torch::nn::Module {
 public:
  explicit NerstfMlpImpl(const NerstfMlpConfig& config);

  // position [batch, points, 3]; direction [batch, points, 3] or undefined for "no direction"
  // (shap-e then feeds zeros for the direction encoding; here its weight columns are skipped).
  // Meta tensors missing from `params` fall back to the layer's own (unbatched) tensors. Each
  // layer's product runs in its weights' dtype; the encodings, activations and outputs stay in the
  // positions' dtype (float32 when the weights are bf16: see field_options).
  NerstfRawOutput forward_raw(const torch::Tensor& position, const torch::Tensor& direction,
                              const MetaParameters& params);
  NerstfFields activate(const NerstfRawOutput& raw, NerfLevel level, FieldMode mode) const;

  // forward_raw + activate, over `points_per_chunk` points at a time (0: all at once) so the
  // hidden activations stay bounded.
  NerstfFields query(const torch::Tensor& position, const torch::Tensor& direction, const MetaParameters& params,
                     NerfLevel level, FieldMode mode, int64_t points_per_chunk = 0);

  const NerstfMlpConfig& config() const { return config_; }
  const NerstfOutputLayout& layout() const { return layout_; }
  NerstfLayer& layer(int64_t index) { return layers_[index]; }
  int64_t n_layers() const { return static_cast<int64_t>(layers_.size()); }

 private:
  torch::Tensor apply_layer(int64_t index, const torch::Tensor& h, const MetaParameters& params,
                            bool skip_direction_columns);

  NerstfMlpConfig config_;
  NerstfOutputLayout layout_;
  torch::nn::ModuleList mlp_{nullptr};
  std::vector<NerstfLayer> layers_;
  std::vector<std::string> weight_keys_, bias_keys_;  // "nerstf.mlp.N.weight" / ".bias"
  torch::Tensor freqs_;  // unused by the computation; present in some checkpoints
};
TORCH_MODULE(NerstfMlp);

}  // namespace shape
