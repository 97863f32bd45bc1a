#include "inference/training/point_cloud_encoder.h"

#include <cmath>

#include "inference/decoder/nerstf_mlp.h"

namespace shape::training {
namespace {

torch::nn::Linear make_linear(int64_t in, int64_t out, double stddev) {
  torch::nn::Linear layer(torch::nn::LinearOptions(in, out));
  torch::NoGradGuard no_grad;
  layer->weight.normal_(0.0, stddev);
  layer->bias.zero_();
  return layer;
}

torch::nn::LayerNorm make_layer_norm(int64_t width) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}));
}

}  // namespace

MultiheadCrossAttentionImpl::MultiheadCrossAttentionImpl(int64_t width, int64_t heads, double init_scale)
    : heads_(heads) {
  c_q_ = register_module("c_q", make_linear(width, width, init_scale));
  c_kv_ = register_module("c_kv", make_linear(width, 2 * width, init_scale));
  c_proj_ = register_module("c_proj", make_linear(width, width, init_scale));
}

torch::Tensor MultiheadCrossAttentionImpl::forward(const torch::Tensor& queries, const torch::Tensor& data) {
  const auto batch = queries.size(0), n_queries = queries.size(1), width = queries.size(2);
  const auto n_data = data.size(1);
  const int64_t head_channels = width / heads_;
  auto q = c_q_(queries).view({batch, n_queries, heads_, head_channels}).permute({0, 2, 1, 3});
  auto kv = c_kv_(data).view({batch, n_data, heads_, 2 * head_channels}).permute({0, 2, 1, 3});
  auto parts = kv.split(head_channels, -1);
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_channels));
  auto weight = torch::softmax(torch::matmul(q * scale, parts[0].transpose(-1, -2)), -1);
  auto out = torch::matmul(weight, parts[1]);
  return c_proj_(out.permute({0, 2, 1, 3}).reshape({batch, n_queries, width}));
}

ResidualCrossAttentionBlockImpl::ResidualCrossAttentionBlockImpl(int64_t width, int64_t heads, double init_scale) {
  attn_ = register_module("attn", MultiheadCrossAttention(width, heads, init_scale));
  ln_1_ = register_module("ln_1", make_layer_norm(width));
  ln_2_ = register_module("ln_2", make_layer_norm(width));
  mlp_ = register_module("mlp", TransformerMlp(width, init_scale));
  ln_3_ = register_module("ln_3", make_layer_norm(width));
}

torch::Tensor ResidualCrossAttentionBlockImpl::forward(torch::Tensor x, const torch::Tensor& data) {
  x = x + attn_(ln_1_(x), ln_2_(data));
  return x + mlp_(ln_3_(x));
}

PointCloudEncoderImpl::PointCloudEncoderImpl(const EncoderConfig& config) : config_(config) {
  const int64_t width = config.width;
  const double block_init = config.init_scale / std::sqrt(static_cast<double>(width));
  const int64_t input_width = 3 * (1 + 2 * kPointEncodingDegree) + (config.input_channels - 3);
  input_proj_ = register_module("input_proj", make_linear(input_width, width, 1.0 / std::sqrt(input_width)));
  output_tokens_ = register_parameter("output_tokens", torch::randn({config.latent_ctx, width}) * config.init_scale);
  ln_pre_ = register_module("ln_pre", make_layer_norm(width));
  encoder_ = register_module("encoder", torch::nn::ModuleList());
  for (int64_t i = 0; i < config.xattn_layers; ++i) {
    encoder_->push_back(ResidualCrossAttentionBlock(width, config.heads, block_init));
  }
  processor_ = register_module("processor", torch::nn::ModuleList());
  for (int64_t i = 0; i < config.processor_layers(); ++i) {
    processor_->push_back(ResidualAttentionBlock(width, config.heads, block_init));
  }
  ln_post_ = register_module("ln_post", make_layer_norm(width));
  output_proj_ = register_module("output_proj", make_linear(width, config.d_latent, 1.0 / std::sqrt(width)));
}

torch::Tensor PointCloudEncoderImpl::forward(const torch::Tensor& points, const torch::Tensor& noise) {
  TORCH_CHECK(points.dim() == 3 && points.size(2) == config_.input_channels, "point clouds must be [batch, n, ",
              config_.input_channels, "], got ", points.sizes());
  const auto positions = points.slice(2, 0, 3);
  // Colours centred on zero like the positions.
  const auto colours = points.slice(2, 3) * 2.0 - 1.0;
  const auto data = input_proj_(torch::cat({nerf_positional_encoding(positions, kPointEncodingDegree), colours}, -1));
  auto tokens = ln_pre_(output_tokens_.unsqueeze(0).expand({points.size(0), -1, -1}));
  for (const auto& block : *encoder_) tokens = block->as<ResidualCrossAttentionBlock>()->forward(tokens, data);
  for (const auto& block : *processor_) tokens = block->as<ResidualAttentionBlock>()->forward(tokens);
  auto latent = torch::tanh(output_proj_(ln_post_(tokens)));
  if (noise.defined() && config_.noise_scale > 0.0) latent = latent + noise * config_.noise_scale;
  return latent;
}

}  // namespace shape::training
