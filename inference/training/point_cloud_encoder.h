// Stage 1 of Shap-E: the encoder trunk that turns a coloured point cloud into a latent, after
// shap-e's PointCloudPerceiverChannelsEncoder: learned latent tokens cross-attend to the embedded
// points, a transformer processes the tokens, and a projection + tanh bottleneck gives the
// [latent_ctx, d_latent] latent that the params projection turns into NeRSTF MLP weights.
// Parameter names sit under `encoder.` next to `encoder.params_proj.*` in transmitter checkpoints.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "inference/models/diffusion_transformer.h"
#include "inference/training/encoder_config.h"

namespace shape::training {

// Queries from the latent tokens, keys and values from the points.
class MultiheadCrossAttentionImpl : public torch::nn::Module {
 public:
  MultiheadCrossAttentionImpl(int64_t width, int64_t heads, double init_scale);
  torch::Tensor forward(const torch::Tensor& queries, const torch::Tensor& data);

 private:
  int64_t heads_;
  torch::nn::Linear c_q_{nullptr}, c_kv_{nullptr}, c_proj_{nullptr};
};
TORCH_MODULE(MultiheadCrossAttention);

// x + attn(ln_1(x), ln_2(data)), then x + mlp(ln_3(x)).
class ResidualCrossAttentionBlockImpl : public torch::nn::Module {
 public:
  ResidualCrossAttentionBlockImpl(int64_t width, int64_t heads, double init_scale);
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& data);

 private:
  MultiheadCrossAttention attn_{nullptr};
  torch::nn::LayerNorm ln_1_{nullptr}, ln_2_{nullptr}, ln_3_{nullptr};
  TransformerMlp mlp_{nullptr};
};
TORCH_MODULE(ResidualCrossAttentionBlock);

class PointCloudEncoderImpl : public torch::nn::Module {
 public:
  explicit PointCloudEncoderImpl(const EncoderConfig& config);

  // points [batch, n, 6] (x y z in [-1, 1], linear RGB in [0, 1]) -> latent [batch, latent_ctx, d_latent]
  // in (-1, 1). `noise` (training only) is added after the tanh, scaled by noise_scale.
  torch::Tensor forward(const torch::Tensor& points, const torch::Tensor& noise = {});

  const EncoderConfig& config() const { return config_; }

 private:
  EncoderConfig config_;
  torch::nn::Linear input_proj_{nullptr};
  torch::Tensor output_tokens_;
  torch::nn::LayerNorm ln_pre_{nullptr};
  torch::nn::ModuleList encoder_{nullptr};    // cross-attention blocks
  torch::nn::ModuleList processor_{nullptr};  // self-attention blocks over the latent tokens
  torch::nn::LayerNorm ln_post_{nullptr};
  torch::nn::Linear output_proj_{nullptr};
};
TORCH_MODULE(PointCloudEncoder);

// The NeRF positional encoding degree applied to point positions before input_proj.
constexpr int64_t kPointEncodingDegree = 15;

}  // namespace shape::training
