// The latent diffusion transformer of text300M / image300M as LibTorch modules.
//
// Submodule and parameter names follow shap-e's classes exactly (SplitVectorDiffusion wraps the
// point transformer as `wrapped`), so the official checkpoints bind by name. The same modules serve
// inference with the real weights, the small golden models and training.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "inference/config/model_config.h"
#include "inference/precision.h"

namespace shape {

// Sinusoidal embedding of (possibly fractional) timesteps t [N] -> [N, dim], as shap-e computes it.
torch::Tensor timestep_embedding(const torch::Tensor& t, int64_t dim, double max_period = 10000.0);

// Linear(width, 4 width) -> GELU -> Linear(4 width, width).
class TransformerMlpImpl : public torch::nn::Module {
 public:
  TransformerMlpImpl(int64_t width, double init_scale);
  torch::Tensor forward(const torch::Tensor& x);
  torch::ScalarType dtype() const { return c_fc_->weight.scalar_type(); }  // the arithmetic's

 private:
  torch::nn::Linear c_fc_{nullptr}, c_proj_{nullptr};
};
TORCH_MODULE(TransformerMlp);

class MultiheadAttentionImpl : public torch::nn::Module {
 public:
  MultiheadAttentionImpl(int64_t width, int64_t heads, double init_scale);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  int64_t heads_;
  torch::nn::Linear c_qkv_{nullptr}, c_proj_{nullptr};
};
TORCH_MODULE(MultiheadAttention);

// Pre-LayerNorm block: x + attn(ln_1(x)), then x + mlp(ln_2(x)). x, the residual stream, is
// float32 in every precision.
class ResidualAttentionBlockImpl : public torch::nn::Module {
 public:
  ResidualAttentionBlockImpl(int64_t width, int64_t heads, double init_scale);
  torch::Tensor forward(torch::Tensor x);

 private:
  MultiheadAttention attn_{nullptr};
  torch::nn::LayerNorm ln_1_{nullptr};
  TransformerMlp mlp_{nullptr};
  torch::nn::LayerNorm ln_2_{nullptr};
};
TORCH_MODULE(ResidualAttentionBlock);

// CLIPImagePointDiffusionTransformer or CLIPImageGridPointDiffusionTransformer, working on latent
// tokens [N, latent_ctx, channels] rather than shap-e's channel-major layout (the permutes cancel).
class PointDiffusionTransformerImpl : public torch::nn::Module {
 public:
  explicit PointDiffusionTransformerImpl(const DiffusionTransformerConfig& config);

  // tokens [N, latent_ctx, latent_channels]; t [N] (integer or fractional timesteps);
  // condition: CLIP embeddings [N, clip_feature_dim] or CLIP grids [N, grid_feature_dim, grid_tokens].
  // Zero conditions are the unconditional half of classifier-free guidance.
  // Returns [N, latent_ctx, 2 * latent_channels].
  torch::Tensor forward(const torch::Tensor& tokens, const torch::Tensor& t, const torch::Tensor& condition);

  // Converts the weights once (call after loading them: loading copies into the current dtype).
  // The half precisions keep the linear layers' weights, the positional embedding and the
  // activations in bf16 / fp16, while the LayerNorms (their weights and arithmetic), the softmax's
  // accumulation, the residual stream and the output projection stay in float32. Inputs and
  // outputs keep the caller's dtype. For inference; training stays in float32.
  void set_precision(Precision precision);
  Precision precision() const { return precision_; }

 private:
  torch::Tensor embed_condition(torch::Tensor condition);

  DiffusionTransformerConfig config_;
  Precision precision_ = Precision::kFloat32;
  TransformerMlp time_embed_{nullptr};
  torch::nn::LayerNorm ln_pre_{nullptr};
  torch::nn::ModuleList resblocks_{nullptr};  // registered under `backbone.resblocks`
  torch::nn::LayerNorm ln_post_{nullptr};
  torch::nn::Linear input_proj_{nullptr}, output_proj_{nullptr};
  torch::Tensor pos_emb_;
  torch::nn::Linear clip_vector_embed_{nullptr};    // kClipEmbedding: `clip_embed`
  torch::nn::Sequential clip_grid_embed_{nullptr};  // kClipGrid: `clip_embed` = LayerNorm + Linear
};
TORCH_MODULE(PointDiffusionTransformer);

// shap-e's SplitVectorDiffusion: flat latents [N, d_latent] in, [N, 2 d_latent] out
// (first half the x_start prediction, second half the learned-range variance values).
class SplitVectorDiffusionImpl : public torch::nn::Module {
 public:
  explicit SplitVectorDiffusionImpl(const DiffusionTransformerConfig& config);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& condition);
  const DiffusionTransformerConfig& config() const { return config_; }
  // See PointDiffusionTransformerImpl::set_precision.
  void set_precision(Precision precision) { wrapped_->set_precision(precision); }
  Precision precision() const { return wrapped_->precision(); }

 private:
  DiffusionTransformerConfig config_;
  PointDiffusionTransformer wrapped_{nullptr};
};
TORCH_MODULE(SplitVectorDiffusion);

}  // namespace shape
