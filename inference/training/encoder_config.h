// The encoder trunk of a transmitter config (the `encoder:` section of transmitter_config.yaml):
// what stage-1 training builds in front of the params projection. Only the point-cloud path of
// shap-e's PointCloudPerceiverChannelsEncoder is supported (no multiview renders, no pointconv).
#pragma once

#include <cstdint>
#include <string>

#include "inference/config/config_error.h"
#include "inference/decoder/decoder_config.h"

namespace shape::training {

struct EncoderConfig {
  int64_t width = 512;
  int64_t layers = 12;       // cross-attention layers included, as shap-e counts them
  int64_t xattn_layers = 1;  // latent tokens attending to the points
  int64_t heads = 8;
  double init_scale = 0.25;
  int64_t input_channels = 6;     // x y z r g b
  int64_t data_ctx = 1024;        // points per cloud
  double noise_scale = 0.0;       // clamp_noise bottleneck: tanh, plus N(0, noise_scale) while training
  // From the decoder half of the same config.
  int64_t latent_ctx = 0;
  int64_t d_latent = 0;

  int64_t processor_layers() const { return layers - xattn_layers; }
};

// Throws ConfigError naming the file and key for anything unsupported or missing.
EncoderConfig load_encoder_config(const std::string& transmitter_yaml_path);
EncoderConfig parse_encoder_config(const std::string& yaml_text, const std::string& source);

}  // namespace shape::training
