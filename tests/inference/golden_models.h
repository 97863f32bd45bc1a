// The small random-weight models the golden files were made with, built from their configs.
#pragma once

#include "inference/config/model_config.h"
#include "inference/models/diffusion_transformer.h"
#include "inference/models/weight_binding.h"
#include "golden.h"

namespace shape::testing {

// transformer_text.json: config (CLIPImagePointDiffusionTransformer, latent_ctx as in the real model).
inline constexpr const char* kGoldenTextTransformerYaml = R"(
name: SplitVectorDiffusion
d_latent: 8192
latent_ctx: 1024
inner:
  name: CLIPImagePointDiffusionTransformer
  width: 64
  layers: 2
  heads: 4
  init_scale: 0.25
  time_token_cond: true
  token_cond: true
  use_pos_emb: true
  pos_emb_init_scale: 0.05
  cond_drop_prob: 0.1
)";

// transformer_image.json: config (grid of ViT-L/14: 1024 features x 256 tokens).
inline constexpr const char* kGoldenImageTransformerYaml = R"(
name: SplitVectorDiffusion
d_latent: 8192
latent_ctx: 1024
inner:
  name: CLIPImageGridPointDiffusionTransformer
  width: 64
  layers: 2
  heads: 4
  init_scale: 0.25
  time_token_cond: true
  use_pos_emb: true
  pos_emb_init_scale: 0.05
  cond_drop_prob: 0.1
)";

inline SplitVectorDiffusion load_golden_transformer(const char* yaml, const std::string& weights_file) {
  auto config = parse_diffusion_transformer_config(yaml, weights_file);
  SplitVectorDiffusion model(config);
  bind_weights(*model, load_checkpoint(golden_path(weights_file)));
  model->eval();
  return model;
}

inline SplitVectorDiffusion golden_text_transformer() {
  return load_golden_transformer(kGoldenTextTransformerYaml, "transformer_text.weights.pt");
}

inline SplitVectorDiffusion golden_image_transformer() {
  return load_golden_transformer(kGoldenImageTransformerYaml, "transformer_image.weights.pt");
}

}  // namespace shape::testing
