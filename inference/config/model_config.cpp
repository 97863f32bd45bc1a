#include "inference/config/model_config.h"

#include "inference/config/strict_yaml_map.h"

namespace shape {
namespace {

DiffusionTransformerConfig transformer_config_from_yaml(const YAML::Node& root, const std::string& source) {
  StrictYamlMap outer(root, source);
  const auto name = outer.required<std::string>("name");
  if (name != "SplitVectorDiffusion") {
    throw ConfigError(source + ": model 'name' is '" + name +
                      "'; only SplitVectorDiffusion (the text300M/image300M latent diffusion) is supported");
  }
  DiffusionTransformerConfig config;
  config.d_latent = outer.required<int64_t>("d_latent");
  config.latent_ctx = outer.optional<int64_t>("latent_ctx", 1);
  require_positive(config.d_latent, source, "d_latent");
  require_positive(config.latent_ctx, source, "latent_ctx");
  if (config.d_latent % config.latent_ctx != 0) {
    throw ConfigError(source + ": d_latent (" + std::to_string(config.d_latent) +
                      ") is not a multiple of latent_ctx (" + std::to_string(config.latent_ctx) + ")");
  }

  StrictYamlMap inner(outer.child("inner"), source + ": inner");
  const auto inner_name = inner.required<std::string>("name");
  if (inner_name == "CLIPImagePointDiffusionTransformer") {
    config.conditioning = ConditioningKind::kClipEmbedding;
    config.token_cond = inner.optional<bool>("token_cond", false);
  } else if (inner_name == "CLIPImageGridPointDiffusionTransformer") {
    config.conditioning = ConditioningKind::kClipGrid;
    config.token_cond = false;  // the grid is always a sequence of tokens
  } else {
    throw ConfigError(source + ": inner 'name' is '" + inner_name +
                      "'; supported: CLIPImagePointDiffusionTransformer, CLIPImageGridPointDiffusionTransformer");
  }
  // Defaults are those of shap-e's PointDiffusionTransformer constructor.
  config.width = inner.optional<int64_t>("width", 512);
  config.layers = inner.optional<int64_t>("layers", 12);
  config.heads = inner.optional<int64_t>("heads", 8);
  config.init_scale = inner.optional<double>("init_scale", 0.25);
  config.time_token_cond = inner.optional<bool>("time_token_cond", false);
  config.use_pos_emb = inner.optional<bool>("use_pos_emb", false);
  config.pos_emb_init_scale = inner.optional<double>("pos_emb_init_scale", 1.0);
  config.cond_drop_prob = inner.optional<double>("cond_drop_prob", 0.0);
  // frozen_clip only chooses whether shap-e trains CLIP along; CLIP lives outside this model here.
  inner.optional<bool>("frozen_clip", true);
  require_positive(config.width, inner.where(), "width");
  require_positive(config.layers, inner.where(), "layers");
  require_positive(config.heads, inner.where(), "heads");
  if (config.width % config.heads != 0) {
    throw ConfigError(inner.where() + ": width (" + std::to_string(config.width) +
                      ") is not a multiple of heads (" + std::to_string(config.heads) + ")");
  }
  if (config.cond_drop_prob < 0.0 || config.cond_drop_prob > 1.0) {
    throw ConfigError(inner.where() + ": 'cond_drop_prob' must lie in [0, 1]");
  }
  inner.reject_unknown_keys();
  outer.reject_unknown_keys();
  return config;
}

DiffusionConfig diffusion_config_from_yaml(const YAML::Node& root, const std::string& source) {
  StrictYamlMap map(root, source);
  DiffusionConfig config;
  config.schedule = map.required<std::string>("schedule");
  config.timesteps = map.required<int64_t>("timesteps");
  config.mean_type = map.optional<std::string>("mean_type", "epsilon");
  require_positive(config.timesteps, source, "timesteps");
  if (config.schedule != "exp" && config.schedule != "linear" && config.schedule != "cosine" &&
      config.schedule != "inv_parabola" && config.schedule != "translated_parabola") {
    throw ConfigError(source + ": unknown 'schedule' '" + config.schedule +
                      "' (exp, linear, cosine, inv_parabola, translated_parabola)");
  }
  if (config.mean_type != "x_start" && config.mean_type != "epsilon") {
    throw ConfigError(source + ": 'mean_type' '" + config.mean_type + "' is not supported (x_start, epsilon)");
  }
  if (map.has("schedule_args")) {
    StrictYamlMap args(map.child("schedule_args"), source + ": schedule_args");
    config.schedule_power = args.optional<double>("power", config.schedule_power);
    config.schedule_coefficient = args.optional<double>("coefficient", config.schedule_coefficient);
    args.reject_unknown_keys();
  }
  for (const char* unsupported : {"respacing", "channel_scales", "channel_biases"}) {
    if (map.has(unsupported)) {
      throw ConfigError(source + ": key '" + unsupported +
                        "' is not supported (the Shap-E configs do not use it)");
    }
  }
  map.reject_unknown_keys();
  return config;
}

}  // namespace

DiffusionTransformerConfig parse_diffusion_transformer_config(const std::string& yaml_text,
                                                              const std::string& source_name) {
  return transformer_config_from_yaml(parse_yaml_text(yaml_text, source_name), source_name);
}

DiffusionTransformerConfig load_diffusion_transformer_config(const std::string& yaml_path) {
  return transformer_config_from_yaml(load_yaml_file(yaml_path), yaml_path);
}

DiffusionConfig parse_diffusion_config(const std::string& yaml_text, const std::string& source_name) {
  return diffusion_config_from_yaml(parse_yaml_text(yaml_text, source_name), source_name);
}

DiffusionConfig load_diffusion_config(const std::string& yaml_path) {
  return diffusion_config_from_yaml(load_yaml_file(yaml_path), yaml_path);
}

}  // namespace shape
