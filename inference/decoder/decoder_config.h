// The decoder half of shap-e's Transmitter config (transmitter_config.yaml): the encoder's params
// projection plus the NeRSTF renderer. The encoder trunk's keys are accepted but unused, because
// decoding a latent never runs the trunk.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "inference/config/config_error.h"

namespace shape {

// encoder.params_proj (shap-e's ChannelsParamsProj; `name: channels` is the only kind supported).
struct ParamsProjectionConfig {
  bool use_ln = false;
  std::optional<double> learned_scale;  // LayerNorm weight init, or the `gain` parameter without LN
  double init_scale = 1.0;              // initialisation only
};

// renderer.nerstf (MLPNeRSTFModel on top of shap-e's MLPModel). Defaults are the official ones.
struct NerstfMlpConfig {
  std::string posenc_version = "nerf";  // only "nerf" is supported
  int64_t d_hidden = 256;
  int64_t n_hidden_layers = 4;
  std::string activation = "relu";
  std::optional<int64_t> insert_direction_at;
  std::string sdf_activation = "tanh";
  std::string density_activation = "exp";
  std::string channel_activation = "sigmoid";
  bool direction_dependent_shape = true;
  bool separate_nerf_channels = false;
  bool separate_coarse_channels = false;
  double initial_density_bias = 0.0;  // initialisation only
  double initial_sdf_bias = -0.1;     // initialisation only
  double init_scale = 1.0;            // initialisation only
  bool meta_parameters = true;
  bool trainable_meta = false;  // meta tensors are buffers (false) or parameters (true) in the checkpoint
  bool meta_proj = true;        // the weight matrices of meta layers come from the latent
  bool meta_bias = true;        // the biases of meta layers come from the latent
  int64_t meta_start = 0;
  int64_t meta_stop = 0;        // inclusive; resolved from meta_stop / n_meta_layers when parsing
  bool register_freqs = false;  // an unused `freqs` buffer some checkpoints carry

  int64_t n_layers() const { return n_hidden_layers + 1; }
  bool is_meta_layer(int64_t layer) const { return meta_start <= layer && layer <= meta_stop; }
};

// renderer.volume: BoundingBoxVolume.
struct BoundingBoxConfig {
  std::array<float, 3> bbox_min{-1.0f, -1.0f, -1.0f};
  std::array<float, 3> bbox_max{1.0f, 1.0f, 1.0f};
  double min_dist = 0.0;
  double min_t_range = 1e-3;
};

struct DecoderConfig {
  // Latent layout: `latent_ctx` vectors of `d_latent` channels (latent_ctx follows from the MLP).
  int64_t d_latent = 1024;
  std::string latent_warp = "identity";  // identity | tan2
  double latent_warp_coeff1 = 1.0;       // tan2 only
  ParamsProjectionConfig params_proj;

  NerstfMlpConfig nerstf;
  BoundingBoxConfig volume;
  std::array<float, 3> void_background{0.0f, 0.0f, 0.0f};  // as written, before / void_channel_scale
  double void_channel_scale = 255.0;
  bool void_trainable = false;
  int64_t grid_size = 128;
  int64_t n_coarse_samples = 64;
  int64_t n_fine_samples = 128;
  bool importance_blur_pool = false;
  double importance_alpha = 1e-5;
  std::array<float, 3> channel_scale{255.0f, 255.0f, 255.0f};
  bool output_srgb = true;
  // Lighting of shap-e's own mesh raycast preview; kept for a renderer, unused by decoding.
  std::vector<double> ambient_color{0.0};
  std::vector<double> diffuse_color{1.0};

  // One meta tensor the latent is projected to, in shap-e's param_shapes order.
  struct MetaTensor {
    std::string name;     // e.g. "nerstf.mlp.0.weight"
    int64_t vectors = 0;  // latent vectors feeding it (its rows)
    int64_t channels = 0; // values per vector (its last dimension)
    std::vector<int64_t> shape;
  };
  std::vector<MetaTensor> meta_tensors() const;
  int64_t latent_ctx() const;                        // sum of MetaTensor::vectors
  int64_t flat_latent_size() const { return latent_ctx() * d_latent; }
};

// Widths of the NeRF positional encodings of a position and a direction ("nerf" version).
constexpr int64_t kNerfPositionEncodingWidth = 3 + 3 * 15 * 2;   // 93
constexpr int64_t kNerfDirectionEncodingWidth = 3 + 3 * 8 * 2;   // 51

// Where each quantity sits in the MLP's raw outputs (shap-e's indices_for_output_mode). A range
// marked `directionless` indexes the pre-activation that enters layer insert_direction_at.
struct NerstfOutputLayout {
  struct Range {
    int64_t begin = 0;
    int64_t end = 0;
    bool directionless = false;
  };
  Range sdf, density_coarse, density_fine, stf, nerf_coarse, nerf_fine;
  int64_t width = 0;  // outputs of the last layer
};
NerstfOutputLayout nerstf_output_layout(const NerstfMlpConfig& config);

// Input / output widths of every MLP layer (the direction encoding included where it is inserted).
std::vector<int64_t> nerstf_layer_input_widths(const NerstfMlpConfig& config);
std::vector<int64_t> nerstf_layer_output_widths(const NerstfMlpConfig& config);

DecoderConfig load_decoder_config(const std::string& yaml_path);
DecoderConfig parse_decoder_config(const std::string& yaml_text, const std::string& source_name);

}  // namespace shape
