// Configs in shap-e's own YAML schema (model_from_config / diffusion_from_config), so the official
// text_cond_config.yaml, image_cond_config.yaml and diffusion_config.yaml load unchanged.
#pragma once

#include <cstdint>
#include <string>

#include "inference/config/config_error.h"

namespace shape {

// How the diffusion transformer is conditioned on CLIP.
enum class ConditioningKind {
  kClipEmbedding,  // CLIPImagePointDiffusionTransformer: one CLIP vector (text300M)
  kClipGrid,       // CLIPImageGridPointDiffusionTransformer: the CLIP patch grid (image300M)
};

// SplitVectorDiffusion wrapping a CLIP-conditioned point diffusion transformer.
struct DiffusionTransformerConfig {
  ConditioningKind conditioning = ConditioningKind::kClipEmbedding;
  int64_t d_latent = 1024 * 1024;  // flattened latent size
  int64_t latent_ctx = 1024;       // latent tokens; channels per token = d_latent / latent_ctx
  int64_t width = 1024;
  int64_t layers = 24;
  int64_t heads = 16;
  bool time_token_cond = true;     // time embedding as a token (else added to every token)
  bool token_cond = true;          // CLIP vector as a token (kClipEmbedding only)
  bool use_pos_emb = true;
  // Initialisation and training only; no effect on inference.
  double init_scale = 0.25;
  double pos_emb_init_scale = 0.05;
  double cond_drop_prob = 0.0;  // applied by the trainer (seeded), which zeroes dropped conditions
  // Not in shap-e's YAML: they come from the CLIP model (defaults are ViT-L/14's).
  int64_t clip_feature_dim = 768;        // kClipEmbedding: CLIP embedding width
  int64_t clip_grid_feature_dim = 1024;  // kClipGrid: vision tower width
  int64_t clip_grid_tokens = 256;        // kClipGrid: (image_resolution / patch_size)^2

  int64_t latent_channels() const { return d_latent / latent_ctx; }
};

// GaussianDiffusion as built by shap-e's diffusion_from_config (model_var_type learned_range).
struct DiffusionConfig {
  std::string schedule = "exp";    // exp | linear | cosine | inv_parabola | translated_parabola
  double schedule_power = 2.0;     // schedule_args.power (the parabola schedules)
  double schedule_coefficient = -12.0;  // schedule_args.coefficient (exp)
  int64_t timesteps = 1024;
  std::string mean_type = "x_start";  // x_start | epsilon
};

DiffusionTransformerConfig load_diffusion_transformer_config(const std::string& yaml_path);
DiffusionTransformerConfig parse_diffusion_transformer_config(const std::string& yaml_text,
                                                              const std::string& source_name);
DiffusionConfig load_diffusion_config(const std::string& yaml_path);
DiffusionConfig parse_diffusion_config(const std::string& yaml_text, const std::string& source_name);

}  // namespace shape
