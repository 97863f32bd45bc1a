#include "inference/models/diffusion_transformer.h"

#include <cmath>

#include <torch/torch.h>
#include <torch/version.h>

#include "inference/precision_dtype.h"

namespace shape {
namespace {

// shap-e's init_linear: normal weights, zero bias.
void init_linear(torch::nn::Linear& layer, double stddev) {
  torch::NoGradGuard no_grad;
  layer->weight.normal_(0.0, stddev);
  if (layer->bias.defined()) layer->bias.zero_();
}

torch::nn::Linear make_linear(int64_t in, int64_t out, double init_stddev) {
  torch::nn::Linear layer(in, out);
  init_linear(layer, init_stddev);
  return layer;
}

torch::nn::LayerNorm make_layer_norm(int64_t width) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}));
}

// LayerNorm in float32 whatever the activations' dtype (set_precision keeps its weights float32):
// half-precision mean and variance over the width lose too much. Returns `compute`, the dtype
// of the layer that reads the result. No-op casts in float32.
torch::Tensor layer_norm_in_float32(torch::nn::LayerNormImpl& norm, const torch::Tensor& x, torch::ScalarType compute) {
  return norm.forward(x.to(torch::kFloat32)).to(compute);
}

// x [..., in] -> [..., out]: the product and the bias in one GEMM over the flattened rows (for 3-D
// inputs LibTorch 1.13's linear makes them two passes over the output).
torch::Tensor linear_rows(const torch::nn::Linear& layer, const torch::Tensor& x) {
  auto sizes = x.sizes().vec();
  sizes.back() = layer->weight.size(0);
  return torch::addmm(layer->bias, x.reshape({-1, x.size(-1)}), layer->weight.t()).view(sizes);
}

}  // namespace

torch::Tensor timestep_embedding(const torch::Tensor& t, int64_t dim, double max_period) {
  const int64_t half = dim / 2;
  auto freqs = torch::exp(-std::log(max_period) *
                          torch::arange(0, half, torch::TensorOptions().dtype(torch::kFloat32)) / half)
                   .to(t.device());
  // Integer timesteps promote to float32 against the float32 frequencies, as in shap-e.
  auto args = t.unsqueeze(1) * freqs.unsqueeze(0);
  auto embedding = torch::cat({torch::cos(args), torch::sin(args)}, -1);
  if (dim % 2) embedding = torch::cat({embedding, torch::zeros_like(embedding.slice(1, 0, 1))}, -1);
  return embedding;
}

TransformerMlpImpl::TransformerMlpImpl(int64_t width, double init_scale) {
  c_fc_ = register_module("c_fc", make_linear(width, width * 4, init_scale));
  c_proj_ = register_module("c_proj", make_linear(width * 4, width, init_scale));
}

torch::Tensor TransformerMlpImpl::forward(const torch::Tensor& x) {
  return linear_rows(c_proj_, torch::gelu(linear_rows(c_fc_, x)));
}

MultiheadAttentionImpl::MultiheadAttentionImpl(int64_t width, int64_t heads, double init_scale) : heads_(heads) {
  c_qkv_ = register_module("c_qkv", make_linear(width, width * 3, init_scale));
  c_proj_ = register_module("c_proj", make_linear(width, width, init_scale));
}

torch::Tensor MultiheadAttentionImpl::forward(const torch::Tensor& x) {
  const auto batch = x.size(0), n_ctx = x.size(1), width = x.size(2);
  const int64_t head_channels = width / heads_;
  // c_qkv's output is laid out per head as [q | k | v], each head_channels wide.
  auto qkv = linear_rows(c_qkv_, x).view({batch, n_ctx, heads_, 3 * head_channels}).permute({0, 2, 1, 3});
  auto parts = qkv.split(head_channels, -1);
#if TORCH_VERSION_MAJOR >= 2
  // The fused kernel (flash / memory-efficient on CUDA); its default scale d^-1/2 is shap-e's.
  auto out = at::scaled_dot_product_attention(parts[0], parts[1], parts[2]);
#else
  // Scaling q and k by d^-1/4 each (rather than the product by d^-1/2) is shap-e's fp16-friendly form.
  const double scale = 1.0 / std::sqrt(std::sqrt(static_cast<double>(head_channels)));
  auto weight = torch::matmul(parts[0] * scale, (parts[1] * scale).transpose(-1, -2));
  // ATen's softmax of a half-precision tensor accumulates in float32 and rounds once: the same
  // values as a float32 round trip (measured on bf16 scores: 250 of 33.7M differ, by one bf16 step
  // of double rounding) without converting [batch, heads, n_ctx, n_ctx] twice.
  weight = torch::softmax(weight, -1);
  auto out = torch::matmul(weight, parts[2]);  // [batch, heads, n_ctx, head_channels]
#endif
  return linear_rows(c_proj_, out.permute({0, 2, 1, 3}).reshape({batch, n_ctx, width}));
}

ResidualAttentionBlockImpl::ResidualAttentionBlockImpl(int64_t width, int64_t heads, double init_scale) {
  attn_ = register_module("attn", MultiheadAttention(width, heads, init_scale));
  ln_1_ = register_module("ln_1", make_layer_norm(width));
  mlp_ = register_module("mlp", TransformerMlp(width, init_scale));
  ln_2_ = register_module("ln_2", make_layer_norm(width));
}

torch::Tensor ResidualAttentionBlockImpl::forward(torch::Tensor x) {
  // The residual stream x stays float32: the half-precision branches add into it.
  const auto compute = mlp_->dtype();
  x = x + attn_(layer_norm_in_float32(*ln_1_, x, compute));
  return x + mlp_(layer_norm_in_float32(*ln_2_, x, compute));
}

PointDiffusionTransformerImpl::PointDiffusionTransformerImpl(const DiffusionTransformerConfig& config)
    : config_(config) {
  const int64_t width = config.width;
  const double block_init = config.init_scale / std::sqrt(static_cast<double>(width));
  time_embed_ = register_module("time_embed", TransformerMlp(width, block_init));
  ln_pre_ = register_module("ln_pre", make_layer_norm(width));
  auto backbone = register_module("backbone", std::make_shared<torch::nn::Module>());
  resblocks_ = backbone->register_module("resblocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < config.layers; ++i) {
    resblocks_->push_back(ResidualAttentionBlock(width, config.heads, block_init));
  }
  ln_post_ = register_module("ln_post", make_layer_norm(width));
  input_proj_ = register_module("input_proj", torch::nn::Linear(config.latent_channels(), width));
  output_proj_ = register_module("output_proj", torch::nn::Linear(width, 2 * config.latent_channels()));
  {
    torch::NoGradGuard no_grad;  // shap-e starts from a zero output projection
    output_proj_->weight.zero_();
    output_proj_->bias.zero_();
  }
  if (config.use_pos_emb) {
    pos_emb_ = register_parameter("pos_emb",
                                  torch::randn({config.latent_ctx, width}) * config.pos_emb_init_scale);
  }
  if (config.conditioning == ConditioningKind::kClipEmbedding) {
    clip_vector_embed_ = register_module("clip_embed", torch::nn::Linear(config.clip_feature_dim, width));
  } else {
    clip_grid_embed_ = register_module(
        "clip_embed", torch::nn::Sequential(make_layer_norm(config.clip_grid_feature_dim),
                                            torch::nn::Linear(config.clip_grid_feature_dim, width)));
  }
}

torch::Tensor PointDiffusionTransformerImpl::embed_condition(torch::Tensor condition) {
  const torch::ScalarType compute = scalar_type_of(precision_);
  if (config_.conditioning == ConditioningKind::kClipEmbedding) {
    // shap-e rescales the unit-norm CLIP embedding to unit variance per feature.
    return clip_vector_embed_((condition * std::sqrt(static_cast<double>(condition.size(1)))).to(compute));
  }
  // clip_embed = LayerNorm + Linear, run step by step so the LayerNorm stays in float32.
  auto grid = condition.permute({0, 2, 1});  // [N, C, L] -> [N, L, C]
  auto normed = layer_norm_in_float32(clip_grid_embed_->at<torch::nn::LayerNormImpl>(0), grid, compute);
  return clip_grid_embed_->at<torch::nn::LinearImpl>(1).forward(normed);  // [N, L, width]
}

void PointDiffusionTransformerImpl::set_precision(Precision precision) {
  to(scalar_type_of(precision));
  for (const auto& module : modules()) {
    if (auto* norm = module->as<torch::nn::LayerNormImpl>()) norm->to(torch::kFloat32);
  }
  // The output projection stays float32 (0.3% of the work): the sampler integrates its output,
  // and rounding that to bf16 was a fifth of the bf16 chain's deviation on the golden e2e model.
  output_proj_->to(torch::kFloat32);
  precision_ = precision;
}

torch::Tensor PointDiffusionTransformerImpl::forward(const torch::Tensor& tokens, const torch::Tensor& t,
                                                     const torch::Tensor& condition) {
  const bool grid = config_.conditioning == ConditioningKind::kClipGrid;
  TORCH_CHECK(tokens.dim() == 3 && tokens.size(1) == config_.latent_ctx &&
                  tokens.size(2) == config_.latent_channels(),
              "latent tokens must be [N, ", config_.latent_ctx, ", ", config_.latent_channels(), "], got ",
              tokens.sizes());
  TORCH_CHECK(t.dim() == 1 && t.size(0) == tokens.size(0), "t must be [N]");
  if (grid) {
    TORCH_CHECK(condition.dim() == 3 && condition.size(0) == tokens.size(0) &&
                    condition.size(1) == config_.clip_grid_feature_dim &&
                    condition.size(2) == config_.clip_grid_tokens,
                "CLIP grid condition must be [N, ", config_.clip_grid_feature_dim, ", ", config_.clip_grid_tokens,
                "], got ", condition.sizes());
  } else {
    TORCH_CHECK(condition.dim() == 2 && condition.size(0) == tokens.size(0) &&
                    condition.size(1) == config_.clip_feature_dim,
                "CLIP embedding condition must be [N, ", config_.clip_feature_dim, "], got ", condition.sizes());
  }

  const torch::ScalarType compute = scalar_type_of(precision_);
  auto time_embedding = time_embed_(timestep_embedding(t, config_.width).to(compute));
  auto clip_embedding = embed_condition(condition);

  auto h = input_proj_(tokens.to(compute));
  if (!config_.time_token_cond) h = h + time_embedding.unsqueeze(1);
  if (!grid && !config_.token_cond) h = h + clip_embedding.unsqueeze(1);
  if (config_.use_pos_emb) h = h + pos_emb_;

  // Prefix tokens in shap-e's order: text [clip, time], image [time, grid...].
  std::vector<torch::Tensor> sequence;
  if (grid) {
    if (config_.time_token_cond) sequence.push_back(time_embedding.unsqueeze(1));
    sequence.push_back(clip_embedding);
  } else {
    if (config_.token_cond) sequence.push_back(clip_embedding.unsqueeze(1));
    if (config_.time_token_cond) sequence.push_back(time_embedding.unsqueeze(1));
  }
  int64_t prefix_tokens = 0;
  for (const auto& part : sequence) prefix_tokens += part.size(1);
  sequence.push_back(h);

  // The residual stream runs in float32 (half-precision rounding would accumulate over the layers).
  h = layer_norm_in_float32(*ln_pre_, torch::cat(sequence, 1), torch::kFloat32);
  for (const auto& block : *resblocks_) h = block->as<ResidualAttentionBlock>()->forward(h);
  h = layer_norm_in_float32(*ln_post_, h, output_proj_->weight.scalar_type());
  return linear_rows(output_proj_, h.slice(1, prefix_tokens)).to(tokens.scalar_type());
}

SplitVectorDiffusionImpl::SplitVectorDiffusionImpl(const DiffusionTransformerConfig& config) : config_(config) {
  wrapped_ = register_module("wrapped", PointDiffusionTransformer(config));
}

torch::Tensor SplitVectorDiffusionImpl::forward(const torch::Tensor& x, const torch::Tensor& t,
                                                const torch::Tensor& condition) {
  TORCH_CHECK(x.dim() == 2 && x.size(1) == config_.d_latent, "latents must be [N, ", config_.d_latent, "], got ",
              x.sizes());
  const auto batch = x.size(0);
  auto out = wrapped_(x.reshape({batch, config_.latent_ctx, config_.latent_channels()}), t, condition);
  // Token-major halves: [x_start prediction | variance values], each [N, latent_ctx * channels].
  auto halves = out.chunk(2, -1);
  return torch::cat({halves[0].reshape({batch, -1}), halves[1].reshape({batch, -1})}, 1);
}

}  // namespace shape
