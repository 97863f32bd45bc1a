// The small random-weight transmitter decoder of the golden case `decoder` (tests/golden/README.md
// section 3), built from its config, plus replay of the recorded NeRF random draws.
#pragma once

#include <deque>

#include "inference/decoder/shape_decoder.h"
#include "golden.h"

namespace shape::testing {

// decoder.json: config (the real renderer structure with d_hidden 64, d_latent 16, grid 32).
inline constexpr const char* kGoldenDecoderYaml = R"(
name: Transmitter
encoder:
  name: PointCloudTransformerChannelsEncoder
  d_latent: 16
  n_ctx: 4
  width: 8
  layers: 1
  heads: 1
  init_scale: 0.25
  input_channels: 6
  params_proj:
    name: channels
    init_scale: 1.0
    learned_scale: 0.0625
    use_ln: true
  latent_bottleneck:
    name: clamp_noise
    noise_scale: 0.0
renderer:
  name: NeRSTFRenderer
  grid_size: 32
  n_coarse_samples: 64
  n_fine_samples: 128
  nerstf:
    name: MLPNeRSTFModel
    posenc_version: nerf
    d_hidden: 64
    n_hidden_layers: 6
    activation: swish
    insert_direction_at: 4
    sdf_activation: tanh
    density_activation: relu
    channel_activation: sigmoid
    direction_dependent_shape: true
    separate_nerf_channels: true
    separate_coarse_channels: true
    initial_density_bias: 0.1
    init_scale: 0.25
    meta_parameters: true
    n_meta_layers: 4
    meta_bias: false
    trainable_meta: false
  void:
    name: VoidNeRFModel
    background: [255.0, 255.0, 255.0]
  volume:
    name: BoundingBoxVolume
    bbox_min: [-1.0, -1.0, -1.0]
    bbox_max: [1.0, 1.0, 1.0]
)";

inline DecoderConfig golden_decoder_config() { return parse_decoder_config(kGoldenDecoderYaml, "decoder.json"); }

inline ShapeDecoder golden_decoder(const std::string& weights_file = "decoder.weights.pt") {
  ShapeDecoder decoder(golden_decoder_config());
  bind_decoder_weights(*decoder, load_checkpoint(golden_path(weights_file)));
  decoder->eval();
  return decoder;
}

// The full-structure decoder of the end-to-end golden cases (e2e.decoder.yaml, the loader case's
// weights): the decoder the e2e_text / e2e_image latents were meshed with.
inline ShapeDecoder end_to_end_decoder() {
  ShapeDecoder decoder(load_decoder_config(golden_path("e2e.decoder.yaml")));
  bind_decoder_weights(*decoder, load_checkpoint(golden_path("loader/decoder.state_dict.pt")));
  decoder->eval();
  return decoder;
}

// The golden's meta parameters (params.nerstf.mlp.K.weight).
inline MetaParameters golden_params(const StateDict& golden) {
  MetaParameters params;
  for (int k = 0; k < 4; ++k) {
    const auto name = "nerstf.mlp." + std::to_string(k) + ".weight";
    params[name] = golden.at("params." + name);
  }
  return params;
}

// Hands out recorded draws in order, checking that each is requested with its recorded shape.
class ReplayRandomness : public RaySampleRandomness {
 public:
  explicit ReplayRandomness(std::deque<torch::Tensor> draws) : draws_(std::move(draws)) {}
  torch::Tensor stratified_offsets(c10::IntArrayRef shape) override { return next(shape); }
  torch::Tensor importance_bins(c10::IntArrayRef shape) override { return next(shape); }
  torch::Tensor importance_offsets(c10::IntArrayRef shape) override { return next(shape); }
  size_t remaining() const { return draws_.size(); }

 private:
  torch::Tensor next(c10::IntArrayRef shape) {
    TORCH_CHECK(!draws_.empty(), "more random draws requested than were recorded");
    auto draw = draws_.front();
    draws_.pop_front();
    TORCH_CHECK(draw.sizes() == shape, "draw requested with shape ", shape, ", recorded ", draw.sizes());
    return draw;
  }
  std::deque<torch::Tensor> draws_;
};

// Every draw is 0.5: each ray's samples then do not depend on how rays are batched.
class ConstantRandomness : public RaySampleRandomness {
 public:
  torch::Tensor stratified_offsets(c10::IntArrayRef shape) override { return torch::full(shape, 0.5); }
  torch::Tensor importance_bins(c10::IntArrayRef shape) override { return torch::full(shape, 0.5); }
  torch::Tensor importance_offsets(c10::IntArrayRef shape) override { return torch::full(shape, 0.5); }
};

}  // namespace shape::testing
