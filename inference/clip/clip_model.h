// OpenAI CLIP (ViT vision tower + causal text transformer) as LibTorch modules.
//
// Parameter names are those of clip.model.CLIP's state dict (token_embedding.weight,
// transformer.resblocks.0.attn.in_proj_weight, visual.conv1.weight, ...), so the released weights
// bind by name. The same modules serve inference with ViT-L/14, the small golden model and training
// (CLIP's own initialisation).
#pragma once

#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "inference/clip/bpe_tokenizer.h"
#include "inference/clip/clip_config.h"
#include "inference/clip/image_u8.h"

namespace shape {

// Which towers a ClipModel holds: shap-e's text-conditioned model needs only the text tower, the
// image-conditioned one only the vision tower (ViT-L/14: 123M and 303M parameters).
enum class ClipTowers { kBoth, kText, kVision };

// x * sigmoid(1.702 x), CLIP's GELU approximation.
torch::Tensor quick_gelu(const torch::Tensor& x);

// clip.model.LayerNorm: normalises in float32 whatever the input dtype, returns the input dtype.
class ClipLayerNormImpl : public torch::nn::Module {
 public:
  explicit ClipLayerNormImpl(int64_t width);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::Tensor weight_, bias_;
};
TORCH_MODULE(ClipLayerNorm);

// torch.nn.MultiheadAttention used as self-attention, with its parameter names (in_proj_weight,
// in_proj_bias, out_proj). Works on [N, L, width] (CLIP's sequence-first layout is only a permute).
class ClipAttentionImpl : public torch::nn::Module {
 public:
  ClipAttentionImpl(int64_t width, int64_t heads);
  // attention_mask: additive [L, L] (e.g. causal), or undefined for none.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& attention_mask);

  torch::Tensor in_proj_weight, in_proj_bias;
  torch::nn::Linear out_proj{nullptr};

 private:
  int64_t heads_;
};
TORCH_MODULE(ClipAttention);

// Linear(width, 4 width) -> QuickGELU -> Linear(4 width, width): `mlp.c_fc`, `mlp.c_proj`.
class ClipMlpImpl : public torch::nn::Module {
 public:
  explicit ClipMlpImpl(int64_t width);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Linear c_fc{nullptr}, c_proj{nullptr};
};
TORCH_MODULE(ClipMlp);

// x + attn(ln_1(x)), then x + mlp(ln_2(x)).
class ClipResidualBlockImpl : public torch::nn::Module {
 public:
  ClipResidualBlockImpl(int64_t width, int64_t heads);
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& attention_mask);

  ClipAttention attn{nullptr};
  ClipLayerNorm ln_1{nullptr};
  ClipMlp mlp{nullptr};
  ClipLayerNorm ln_2{nullptr};
};
TORCH_MODULE(ClipResidualBlock);

// `resblocks.N`: a stack of residual attention blocks.
class ClipTransformerImpl : public torch::nn::Module {
 public:
  ClipTransformerImpl(int64_t width, int64_t layers, int64_t heads);
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& attention_mask = {});

  torch::nn::ModuleList resblocks{nullptr};
};
TORCH_MODULE(ClipTransformer);

// clip.model.VisionTransformer (`visual`).
class ClipVisionTransformerImpl : public torch::nn::Module {
 public:
  explicit ClipVisionTransformerImpl(const ClipConfig& config);

  // Images [N, 3, R, R] (normalised as by clip_preprocess_image) -> the transformer's output
  // tokens [N, 1 + grid_tokens, width]: class token first, no ln_post.
  torch::Tensor output_tokens(const torch::Tensor& images);
  // encode_image: ln_post of the class token, projected: [N, embed_dim].
  torch::Tensor forward(const torch::Tensor& images);
  // The same from output_tokens' result.
  torch::Tensor project(const torch::Tensor& output_tokens);

  torch::nn::Conv2d conv1{nullptr};
  torch::Tensor class_embedding, positional_embedding;
  ClipLayerNorm ln_pre{nullptr};
  ClipTransformer transformer{nullptr};
  ClipLayerNorm ln_post{nullptr};
  torch::Tensor proj;

 private:
  int64_t image_resolution_;
};
TORCH_MODULE(ClipVisionTransformer);

// clip.model.CLIP plus what shap-e's ImageCLIP derives from it.
class ClipModelImpl : public torch::nn::Module {
 public:
  explicit ClipModelImpl(const ClipConfig& config, ClipTowers towers = ClipTowers::kBoth);

  // Token ids [N, context_length] (any integer dtype; see clip_token_batch) -> text features at
  // each sequence's end token (its highest id) projected: [N, embed_dim], the module's dtype.
  torch::Tensor encode_text(const torch::Tensor& tokens);
  // Normalised images [N, 3, R, R] -> [N, embed_dim], the module's dtype.
  torch::Tensor encode_image(const torch::Tensor& images);

  // What shap-e conditions on, all float32:
  // ImageCLIP.embed_text: encode_text L2-normalised, [N, embed_dim] (text300M).
  torch::Tensor embed_text(const torch::Tensor& tokens);
  // ImageCLIP.embed_images: encode_image L2-normalised, [N, embed_dim].
  torch::Tensor embed_image(const torch::Tensor& images);
  // ImageCLIP.embed_images_grid: the vision transformer's patch tokens (class token dropped, no
  // ln_post or proj) as [N, vision_width, grid_tokens] (image300M; ViT-L/14: [N, 1024, 256]).
  torch::Tensor embed_image_grid(const torch::Tensor& images);
  // Both of the above from one pass of the vision tower (training wants the grid to condition on
  // and the vector to match images to shapes).
  struct ImageEmbeddings {
    torch::Tensor vector, grid;
  };
  ImageEmbeddings embed_image_and_grid(const torch::Tensor& images);

  const ClipConfig& config() const { return config_; }
  ClipTowers towers() const { return towers_; }

  // Text tower (absent for ClipTowers::kVision).
  torch::nn::Embedding token_embedding{nullptr};
  torch::Tensor positional_embedding;
  ClipTransformer transformer{nullptr};
  ClipLayerNorm ln_final{nullptr};
  torch::Tensor text_projection;
  // Vision tower (absent for ClipTowers::kText).
  ClipVisionTransformer visual{nullptr};
  // Only with both towers: the contrastive temperature, log(1 / 0.07) at initialisation.
  torch::Tensor logit_scale;

 private:
  void check_has(bool present, const char* what) const;
  static torch::Tensor grid_of(const torch::Tensor& output_tokens);

  ClipConfig config_;
  ClipTowers towers_;
};
TORCH_MODULE(ClipModel);

// Tokenized prompts as the int64 [N, context_length] batch encode_text takes.
torch::Tensor clip_token_batch(const std::vector<ClipTokens>& prompts);

// Images preprocessed as CLIP does (image_preprocess.h): float32 [N, 3, resolution, resolution].
torch::Tensor clip_image_batch(const std::vector<ImageU8>& images, int64_t resolution);

}  // namespace shape
