#include "inference/clip/clip_model.h"

#include <cmath>
#include <limits>
#include <string>

#include <torch/torch.h>

#include "inference/clip/image_preprocess.h"

namespace shape {
namespace {

constexpr double kLayerNormEps = 1e-5;
constexpr double kQuickGeluScale = 1.702;
constexpr int64_t kMaxClipResolution = 16384;

// An additive mask that hides later positions: -inf above the diagonal (build_attention_mask).
torch::Tensor causal_mask(int64_t length, const torch::TensorOptions& options) {
  return torch::full({length, length}, -std::numeric_limits<double>::infinity(), options).triu(1);
}

void normal_init(torch::Tensor& tensor, double stddev) {
  torch::NoGradGuard no_grad;
  tensor.normal_(0.0, stddev);
}

}  // namespace

torch::Tensor quick_gelu(const torch::Tensor& x) { return x * torch::sigmoid(kQuickGeluScale * x); }

ClipLayerNormImpl::ClipLayerNormImpl(int64_t width) {
  weight_ = register_parameter("weight", torch::ones({width}));
  bias_ = register_parameter("bias", torch::zeros({width}));
}

torch::Tensor ClipLayerNormImpl::forward(const torch::Tensor& x) {
  const auto input_dtype = x.scalar_type();
  return torch::layer_norm(x.to(torch::kFloat32), {weight_.size(0)}, weight_.to(torch::kFloat32),
                           bias_.to(torch::kFloat32), kLayerNormEps)
      .to(input_dtype);
}

ClipAttentionImpl::ClipAttentionImpl(int64_t width, int64_t heads) : heads_(heads) {
  TORCH_CHECK(heads > 0 && width % heads == 0, "attention width ", width, " does not split into ", heads, " heads");
  // torch.nn.MultiheadAttention's initialisation: Xavier-uniform input projection, zero biases.
  in_proj_weight = register_parameter("in_proj_weight", torch::empty({3 * width, width}));
  in_proj_bias = register_parameter("in_proj_bias", torch::zeros({3 * width}));
  out_proj = register_module("out_proj", torch::nn::Linear(width, width));
  torch::NoGradGuard no_grad;
  torch::nn::init::xavier_uniform_(in_proj_weight);
  out_proj->bias.zero_();
}

torch::Tensor ClipAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& attention_mask) {
  const auto batch = x.size(0), length = x.size(1), width = x.size(2);
  const int64_t head_width = width / heads_;
  const auto split_heads = [&](const torch::Tensor& t) {
    return t.reshape({batch, length, heads_, head_width}).transpose(1, 2);  // [N, heads, L, head_width]
  };
  const auto qkv = torch::linear(x, in_proj_weight, in_proj_bias).chunk(3, -1);
  // As torch 1.13's multi_head_attention_forward: scale q, then q k^T plus the additive mask.
  const auto q = split_heads(qkv[0]) / std::sqrt(static_cast<double>(head_width));
  auto scores = torch::matmul(q, split_heads(qkv[1]).transpose(-2, -1));
  if (attention_mask.defined()) scores = scores + attention_mask;
  const auto out = torch::matmul(torch::softmax(scores, -1), split_heads(qkv[2]));
  return out_proj(out.transpose(1, 2).reshape({batch, length, width}));
}

ClipMlpImpl::ClipMlpImpl(int64_t width) {
  c_fc = register_module("c_fc", torch::nn::Linear(width, 4 * width));
  c_proj = register_module("c_proj", torch::nn::Linear(4 * width, width));
}

torch::Tensor ClipMlpImpl::forward(const torch::Tensor& x) { return c_proj(quick_gelu(c_fc(x))); }

ClipResidualBlockImpl::ClipResidualBlockImpl(int64_t width, int64_t heads) {
  attn = register_module("attn", ClipAttention(width, heads));
  ln_1 = register_module("ln_1", ClipLayerNorm(width));
  mlp = register_module("mlp", ClipMlp(width));
  ln_2 = register_module("ln_2", ClipLayerNorm(width));
}

torch::Tensor ClipResidualBlockImpl::forward(torch::Tensor x, const torch::Tensor& attention_mask) {
  x = x + attn(ln_1(x), attention_mask);
  return x + mlp(ln_2(x));
}

ClipTransformerImpl::ClipTransformerImpl(int64_t width, int64_t layers, int64_t heads) {
  resblocks = register_module("resblocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < layers; ++i) resblocks->push_back(ClipResidualBlock(width, heads));
}

torch::Tensor ClipTransformerImpl::forward(torch::Tensor x, const torch::Tensor& attention_mask) {
  for (const auto& block : *resblocks) x = block->as<ClipResidualBlock>()->forward(x, attention_mask);
  return x;
}

ClipVisionTransformerImpl::ClipVisionTransformerImpl(const ClipConfig& config)
    : image_resolution_(config.image_resolution) {
  const int64_t width = config.vision_width;
  const double scale = 1.0 / std::sqrt(static_cast<double>(width));
  conv1 = register_module(
      "conv1",
      torch::nn::Conv2d(
          torch::nn::Conv2dOptions(3, width, config.vision_patch_size).stride(config.vision_patch_size).bias(false)));
  class_embedding = register_parameter("class_embedding", scale * torch::randn({width}));
  positional_embedding =
      register_parameter("positional_embedding", scale * torch::randn({config.grid_tokens() + 1, width}));
  ln_pre = register_module("ln_pre", ClipLayerNorm(width));
  transformer = register_module("transformer", ClipTransformer(width, config.vision_layers, config.vision_heads()));
  ln_post = register_module("ln_post", ClipLayerNorm(width));
  proj = register_parameter("proj", scale * torch::randn({width, config.embed_dim}));
}

torch::Tensor ClipVisionTransformerImpl::output_tokens(const torch::Tensor& images) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3 && images.size(2) == image_resolution_ &&
                  images.size(3) == image_resolution_,
              "CLIP images must be [N, 3, ", image_resolution_, ", ", image_resolution_, "], got ", images.sizes());
  auto x = conv1(images.to(conv1->weight.options()));  // [N, width, grid, grid]
  const auto batch = x.size(0), width = x.size(1);
  x = x.reshape({batch, width, -1}).permute({0, 2, 1});  // [N, grid^2, width]
  const auto class_token = class_embedding.to(x.dtype()) + torch::zeros({batch, 1, width}, x.options());
  x = torch::cat({class_token, x}, 1) + positional_embedding.to(x.dtype());
  return transformer(ln_pre(x));
}

torch::Tensor ClipVisionTransformerImpl::forward(const torch::Tensor& images) { return project(output_tokens(images)); }

torch::Tensor ClipVisionTransformerImpl::project(const torch::Tensor& tokens) {
  return torch::matmul(ln_post(tokens.select(1, 0)), proj);
}

ClipModelImpl::ClipModelImpl(const ClipConfig& config, ClipTowers towers) : config_(config), towers_(towers) {
  config.validate("CLIP model");
  if (towers != ClipTowers::kVision) {
    const int64_t width = config.transformer_width;
    token_embedding = register_module("token_embedding", torch::nn::Embedding(config.vocab_size, width));
    positional_embedding = register_parameter("positional_embedding", torch::empty({config.context_length, width}));
    transformer =
        register_module("transformer", ClipTransformer(width, config.transformer_layers, config.transformer_heads));
    ln_final = register_module("ln_final", ClipLayerNorm(width));
    text_projection = register_parameter("text_projection", torch::empty({width, config.embed_dim}));

    // CLIP.initialize_parameters (the text tower's part).
    normal_init(token_embedding->weight, 0.02);
    normal_init(positional_embedding, 0.01);
    const double attention_std = 1.0 / std::sqrt(static_cast<double>(width));
    const double projection_std = attention_std / std::sqrt(2.0 * static_cast<double>(config.transformer_layers));
    const double fc_std = 1.0 / std::sqrt(2.0 * static_cast<double>(width));
    for (const auto& module : *transformer->resblocks) {
      auto block = module->as<ClipResidualBlock>();
      normal_init(block->attn->in_proj_weight, attention_std);
      normal_init(block->attn->out_proj->weight, projection_std);
      normal_init(block->mlp->c_fc->weight, fc_std);
      normal_init(block->mlp->c_proj->weight, projection_std);
    }
    normal_init(text_projection, attention_std);
  }
  if (towers != ClipTowers::kText) visual = register_module("visual", ClipVisionTransformer(config));
  if (towers == ClipTowers::kBoth) {
    logit_scale = register_parameter("logit_scale", torch::full({}, std::log(1.0 / 0.07)));
  }
}

void ClipModelImpl::check_has(bool present, const char* what) const {
  TORCH_CHECK(present, "this CLIP model was built without its ", what, " tower");
}

torch::Tensor ClipModelImpl::encode_text(const torch::Tensor& tokens) {
  check_has(towers_ != ClipTowers::kVision, "text");
  TORCH_CHECK(tokens.dim() == 2 && tokens.size(1) == config_.context_length, "CLIP tokens must be [N, ",
              config_.context_length, "], got ", tokens.sizes());
  TORCH_CHECK(!at::isFloatingType(tokens.scalar_type()) && tokens.scalar_type() != torch::kBool,
              "CLIP tokens must be integers, got ", tokens.scalar_type());
  const auto ids = tokens.to(token_embedding->weight.device(), torch::kLong);
  if (ids.numel() > 0) {
    TORCH_CHECK(ids.min().item<int64_t>() >= 0 && ids.max().item<int64_t>() < config_.vocab_size,
                "CLIP token ids must lie in [0, ", config_.vocab_size, ")");
  }
  const auto dtype = token_embedding->weight.scalar_type();
  auto x = token_embedding(ids) + positional_embedding.to(dtype);
  x = transformer(x, causal_mask(x.size(1), x.options()));
  x = ln_final(x);
  // The end token has the highest id of each sequence; argmax takes its first occurrence.
  const auto end_positions = ids.argmax(-1);
  const auto rows = torch::arange(x.size(0), end_positions.options());
  return torch::matmul(x.index({rows, end_positions}), text_projection);
}

torch::Tensor ClipModelImpl::encode_image(const torch::Tensor& images) {
  check_has(towers_ != ClipTowers::kText, "vision");
  return visual(images);
}

namespace {

torch::Tensor unit_rows(const torch::Tensor& features) {
  return features / torch::linalg_norm(features, c10::nullopt, {-1}, /*keepdim=*/true, c10::nullopt);
}

}  // namespace

torch::Tensor ClipModelImpl::embed_text(const torch::Tensor& tokens) {
  return unit_rows(encode_text(tokens).to(torch::kFloat32));
}

torch::Tensor ClipModelImpl::embed_image(const torch::Tensor& images) {
  return unit_rows(encode_image(images).to(torch::kFloat32));
}

torch::Tensor ClipModelImpl::embed_image_grid(const torch::Tensor& images) {
  check_has(towers_ != ClipTowers::kText, "vision");
  return grid_of(visual->output_tokens(images));
}

ClipModelImpl::ImageEmbeddings ClipModelImpl::embed_image_and_grid(const torch::Tensor& images) {
  check_has(towers_ != ClipTowers::kText, "vision");
  const auto tokens = visual->output_tokens(images);
  return {unit_rows(visual->project(tokens).to(torch::kFloat32)), grid_of(tokens)};
}

torch::Tensor ClipModelImpl::grid_of(const torch::Tensor& tokens) {
  // [N, 1 + L, width] -> the patch tokens as [N, width, L].
  return tokens.slice(1, 1).permute({0, 2, 1}).contiguous().to(torch::kFloat32);
}

torch::Tensor clip_token_batch(const std::vector<ClipTokens>& prompts) {
  TORCH_CHECK(!prompts.empty(), "no prompts to batch");
  const auto length = static_cast<int64_t>(prompts.front().ids.size());
  auto batch = torch::empty({static_cast<int64_t>(prompts.size()), length}, torch::kLong);
  auto rows = batch.accessor<int64_t, 2>();
  for (size_t i = 0; i < prompts.size(); ++i) {
    TORCH_CHECK(static_cast<int64_t>(prompts[i].ids.size()) == length,
                "prompts tokenized with different context lengths");
    for (int64_t j = 0; j < length; ++j) rows[static_cast<int64_t>(i)][j] = prompts[i].ids[static_cast<size_t>(j)];
  }
  return batch;
}

torch::Tensor clip_image_batch(const std::vector<ImageU8>& images, int64_t resolution) {
  TORCH_CHECK(!images.empty(), "no images to batch");
  TORCH_CHECK(resolution > 0 && resolution <= kMaxClipResolution, "bad CLIP image resolution ", resolution);
  const int64_t plane = 3 * resolution * resolution;
  auto batch = torch::empty({static_cast<int64_t>(images.size()), 3, resolution, resolution}, torch::kFloat32);
  for (size_t i = 0; i < images.size(); ++i) {
    const std::vector<float> chw = clip_preprocess_image(images[i], static_cast<int>(resolution));
    std::copy(chw.begin(), chw.end(), batch.data_ptr<float>() + static_cast<int64_t>(i) * plane);
  }
  return batch;
}

}  // namespace shape
