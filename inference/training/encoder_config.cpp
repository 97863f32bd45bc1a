#include "inference/training/encoder_config.h"

#include <fstream>
#include <sstream>

#include "inference/config/strict_yaml_map.h"

namespace shape::training {
namespace {

void require(bool condition, const std::string& where, const std::string& message) {
  if (!condition) throw ConfigError(where + ": " + message);
}

}  // namespace

EncoderConfig parse_encoder_config(const std::string& yaml_text, const std::string& source) {
  const DecoderConfig decoder = parse_decoder_config(yaml_text, source);
  StrictYamlMap top(parse_yaml_text(yaml_text, source), source);
  const std::string where = source + ": encoder";
  StrictYamlMap map(top.child("encoder"), where);
  const auto name = map.required<std::string>("name");
  require(name == "PointCloudPerceiverChannelsEncoder", where,
          "training supports the encoder 'PointCloudPerceiverChannelsEncoder', not '" + name + "'");

  EncoderConfig config;
  config.width = map.required<int64_t>("width");
  config.layers = map.required<int64_t>("layers");
  config.xattn_layers = map.optional<int64_t>("xattn_layers", 1);
  config.heads = map.required<int64_t>("heads");
  config.init_scale = map.optional<double>("init_scale", 0.25);
  config.input_channels = map.optional<int64_t>("input_channels", 6);
  config.data_ctx = map.required<int64_t>("data_ctx");
  for (const char* key : {"width", "layers", "xattn_layers", "heads", "data_ctx"}) {
    require_positive(map.required<int64_t>(key), where, key);
  }
  require(config.width % config.heads == 0, where, "'width' must be a multiple of 'heads'");
  require(config.xattn_layers <= config.layers, where, "'xattn_layers' must not exceed 'layers'");
  require(config.input_channels == 6, where, "'input_channels' must be 6 (x y z r g b point clouds)");
  require(map.optional<std::string>("pos_emb", "nerf") == "nerf", where, "'pos_emb' must be 'nerf'");
  require(!map.optional<bool>("use_pointconv", false), where, "'use_pointconv' is not supported for training");
  require(map.optional<std::string>("cross_attention_dataset", "pcl") == "pcl", where,
          "'cross_attention_dataset' must be 'pcl' (point clouds only; multiview renders are not supported)");
  // Read by the decoder half; named here so the strict map accepts them.
  for (const char* key : {"d_latent", "params_proj", "latent_warp"}) {
    if (map.has(key)) map.child(key);
  }

  StrictYamlMap bottleneck(map.child("latent_bottleneck"), where + ": latent_bottleneck");
  const auto kind = bottleneck.required<std::string>("name");
  require(kind == "clamp_noise", where + ": latent_bottleneck",
          "training supports 'clamp_noise' (tanh plus noise), not '" + kind + "'");
  config.noise_scale = bottleneck.optional<double>("noise_scale", 0.0);
  bottleneck.reject_unknown_keys();
  map.reject_unknown_keys();

  config.latent_ctx = decoder.latent_ctx();
  config.d_latent = decoder.d_latent;
  return config;
}

EncoderConfig load_encoder_config(const std::string& transmitter_yaml_path) {
  std::ifstream file(transmitter_yaml_path, std::ios::binary);
  if (!file) throw ConfigError(transmitter_yaml_path + ": cannot be opened");
  std::ostringstream text;
  text << file.rdbuf();
  return parse_encoder_config(text.str(), transmitter_yaml_path);
}

}  // namespace shape::training
