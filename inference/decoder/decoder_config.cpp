#include "inference/decoder/decoder_config.h"

#include <algorithm>
#include <set>

#include "inference/config/strict_yaml_map.h"

namespace shape {
namespace {

void require(bool condition, const std::string& where, const std::string& message) {
  if (!condition) throw ConfigError(where + ": " + message);
}

const std::set<std::string>& supported_activations() {
  static const std::set<std::string> names{"relu",  "leaky_relu", "swish",    "tanh",  "gelu",     "quick_gelu",
                                           "gelu2", "torch_gelu", "sigmoid",  "sin",   "softplus", "exp",
                                           "identity"};
  return names;
}

std::string read_activation(const StrictYamlMap& map, const std::string& key, const std::string& fallback) {
  auto name = map.optional<std::string>(key, fallback);
  require(supported_activations().count(name) > 0, map.where(), "unknown activation '" + name + "' for '" + key + "'");
  return name;
}

std::array<float, 3> read_vec3(const StrictYamlMap& map, const std::string& key, std::array<float, 3> fallback) {
  if (!map.has(key)) return fallback;
  const auto values = map.required<std::vector<float>>(key);
  require(values.size() == 3, map.where(), "'" + key + "' must hold 3 numbers");
  return {values[0], values[1], values[2]};
}

// A colour may be one number or one per channel (shap-e accepts both).
std::vector<double> read_color(const StrictYamlMap& map, const std::string& key, std::vector<double> fallback) {
  if (!map.has(key)) return fallback;
  const auto node = map.child(key);
  try {
    if (node.IsSequence()) return node.as<std::vector<double>>();
    return {node.as<double>()};
  } catch (const YAML::Exception&) {
    throw ConfigError(map.where() + ": key '" + key + "' must be a number or a list of numbers");
  }
}

std::optional<int64_t> read_optional_int(const StrictYamlMap& map, const std::string& key) {
  if (!map.has(key)) return std::nullopt;
  if (map.child(key).IsNull()) return std::nullopt;
  return map.required<int64_t>(key);
}

// Keys of shap-e's channels encoders that only the encoding trunk uses.
const std::set<std::string>& encoder_trunk_keys(const std::string& encoder_name) {
  static const std::set<std::string> transformer{"n_ctx", "width", "layers", "heads", "init_scale",
                                                 "latent_scale", "input_channels", "latent_bottleneck"};
  static const std::set<std::string> perceiver{
      "min_unrolls",         "max_unrolls",       "width",           "layers",
      "xattn_layers",        "heads",             "init_scale",      "inner_batch_size",
      "data_ctx",            "cross_attention_dataset", "fps_method", "input_channels",
      "pos_emb",             "image_size",        "patch_size",      "pose_dropout",
      "use_depth",           "max_depth",         "pointconv_radius", "pointconv_samples",
      "pointconv_hidden",    "pointconv_patch_size", "pointconv_stride", "pointconv_padding_mode",
      "use_pointconv",       "latent_bottleneck"};
  return encoder_name == "PointCloudTransformerChannelsEncoder" ? transformer : perceiver;
}

void parse_params_projection(const YAML::Node& node, const std::string& where, ParamsProjectionConfig& config) {
  StrictYamlMap map(node, where);
  const auto name = map.required<std::string>("name");
  require(name == "channels", where,
          "params_proj 'name' is '" + name + "'; only 'channels' (ChannelsParamsProj) is supported");
  config.use_ln = map.optional<bool>("use_ln", false);
  config.init_scale = map.optional<double>("init_scale", 1.0);
  if (map.has("learned_scale") && !map.child("learned_scale").IsNull()) {
    config.learned_scale = map.required<double>("learned_scale");
  }
  map.reject_unknown_keys();
}

void parse_latent_warp(const YAML::Node& node, const std::string& where, DecoderConfig& config) {
  StrictYamlMap map(node, where);
  config.latent_warp = map.required<std::string>("name");
  require(config.latent_warp == "identity" || config.latent_warp == "tan2", where,
          "unknown latent_warp '" + config.latent_warp + "' (identity, tan2)");
  if (config.latent_warp == "tan2") config.latent_warp_coeff1 = map.optional<double>("coeff1", 1.0);
  map.reject_unknown_keys();
}

void parse_encoder(const YAML::Node& node, const std::string& where, DecoderConfig& config) {
  StrictYamlMap map(node, where);
  const auto name = map.required<std::string>("name");
  require(name == "PointCloudTransformerChannelsEncoder" || name == "PointCloudPerceiverChannelsEncoder", where,
          "encoder 'name' is '" + name +
              "'; supported: PointCloudTransformerChannelsEncoder, PointCloudPerceiverChannelsEncoder (the "
              "channels encoders whose latent is [latent_ctx, d_latent])");
  config.d_latent = map.optional<int64_t>("d_latent", 512);
  require_positive(config.d_latent, where, "d_latent");
  parse_params_projection(map.child("params_proj"), where + ": params_proj", config.params_proj);
  if (map.has("latent_warp")) parse_latent_warp(map.child("latent_warp"), where + ": latent_warp", config);
  // The trunk only encodes 3D assets; decoding does not build it, so its options are accepted unread.
  for (const auto& key : encoder_trunk_keys(name)) {
    if (map.has(key)) map.child(key);
  }
  map.reject_unknown_keys();
}

void parse_nerstf(const YAML::Node& node, const std::string& where, NerstfMlpConfig& config) {
  StrictYamlMap map(node, where);
  const auto name = map.required<std::string>("name");
  require(name == "MLPNeRSTFModel", where, "nerstf 'name' is '" + name + "'; only MLPNeRSTFModel is supported");
  config.posenc_version = map.optional<std::string>("posenc_version", "v1");
  require(config.posenc_version == "nerf", where,
          "posenc_version '" + config.posenc_version + "' is not supported (only 'nerf', as Shap-E uses)");
  config.d_hidden = map.optional<int64_t>("d_hidden", 256);
  config.n_hidden_layers = map.optional<int64_t>("n_hidden_layers", 4);
  require_positive(config.d_hidden, where, "d_hidden");
  require_positive(config.n_hidden_layers, where, "n_hidden_layers");
  config.activation = read_activation(map, "activation", "relu");
  config.insert_direction_at = read_optional_int(map, "insert_direction_at");
  if (config.insert_direction_at) {
    require(*config.insert_direction_at >= 0 && *config.insert_direction_at <= config.n_hidden_layers, where,
            "'insert_direction_at' must lie in [0, n_hidden_layers]");
  }
  config.sdf_activation = read_activation(map, "sdf_activation", "tanh");
  config.density_activation = read_activation(map, "density_activation", "exp");
  config.channel_activation = read_activation(map, "channel_activation", "sigmoid");
  config.direction_dependent_shape = map.optional<bool>("direction_dependent_shape", true);
  config.separate_nerf_channels = map.optional<bool>("separate_nerf_channels", false);
  config.separate_coarse_channels = map.optional<bool>("separate_coarse_channels", false);
  require(!config.separate_coarse_channels || config.separate_nerf_channels, where,
          "'separate_coarse_channels' needs 'separate_nerf_channels'");
  config.initial_density_bias = map.optional<double>("initial_density_bias", 0.0);
  config.initial_sdf_bias = map.optional<double>("initial_sdf_bias", -0.1);
  config.init_scale = map.optional<double>("init_scale", 1.0);
  if (map.has("init") && !map.child("init").IsNull()) {
    throw ConfigError(where + ": key 'init' (siren initialisation) is not supported");
  }
  config.meta_parameters = map.optional<bool>("meta_parameters", false);
  require(config.meta_parameters, where,
          "'meta_parameters' must be true: the latent drives the MLP through its meta layers");
  config.trainable_meta = map.optional<bool>("trainable_meta", false);
  config.meta_proj = map.optional<bool>("meta_proj", true);
  config.meta_bias = map.optional<bool>("meta_bias", true);
  require(config.meta_proj || config.meta_bias, where, "'meta_proj' and 'meta_bias' are both false: nothing is meta");
  config.meta_start = map.optional<int64_t>("meta_start", 0);
  const auto meta_stop = read_optional_int(map, "meta_stop");
  const auto n_meta_layers = read_optional_int(map, "n_meta_layers");
  if (meta_stop) {
    config.meta_stop = *meta_stop;
  } else if (n_meta_layers) {
    require_positive(*n_meta_layers, where, "n_meta_layers");
    config.meta_stop = config.meta_start + *n_meta_layers - 1;
  } else {
    config.meta_stop = config.n_hidden_layers;
  }
  require(config.meta_start >= 0 && config.meta_start <= config.meta_stop && config.meta_stop <= config.n_hidden_layers,
          where, "meta layers [meta_start, meta_stop] must lie within the MLP's layers");
  config.register_freqs = map.optional<bool>("register_freqs", false);
  map.reject_unknown_keys();
}

void parse_volume(const YAML::Node& node, const std::string& where, BoundingBoxConfig& config) {
  StrictYamlMap map(node, where);
  const auto name = map.required<std::string>("name");
  require(name == "BoundingBoxVolume", where, "volume 'name' is '" + name + "'; only BoundingBoxVolume is supported");
  if (!map.has("bbox_min") || !map.has("bbox_max")) throw ConfigError(where + ": 'bbox_min' and 'bbox_max' are required");
  config.bbox_min = read_vec3(map, "bbox_min", config.bbox_min);
  config.bbox_max = read_vec3(map, "bbox_max", config.bbox_max);
  for (int i = 0; i < 3; ++i) require(config.bbox_min[i] < config.bbox_max[i], where, "bbox_min must lie below bbox_max");
  config.min_dist = map.optional<double>("min_dist", 0.0);
  config.min_t_range = map.optional<double>("min_t_range", 1e-3);
  require(config.min_dist >= 0.0 && config.min_t_range > 0.0, where, "need min_dist >= 0 and min_t_range > 0");
  map.reject_unknown_keys();
}

void parse_void(const YAML::Node& node, const std::string& where, DecoderConfig& config) {
  StrictYamlMap map(node, where);
  const auto name = map.required<std::string>("name");
  require(name == "VoidNeRFModel", where, "void 'name' is '" + name + "'; only VoidNeRFModel is supported");
  if (!map.has("background")) throw ConfigError(where + ": missing required key 'background'");
  config.void_background = read_vec3(map, "background", config.void_background);
  config.void_trainable = map.optional<bool>("trainable", false);
  config.void_channel_scale = map.optional<double>("channel_scale", 255.0);
  map.reject_unknown_keys();
}

void parse_renderer(const YAML::Node& node, const std::string& where, DecoderConfig& config) {
  StrictYamlMap map(node, where);
  const auto name = map.required<std::string>("name");
  require(name == "NeRSTFRenderer", where, "renderer 'name' is '" + name + "'; only NeRSTFRenderer is supported");
  for (const char* separate : {"sdf", "tf"}) {
    if (map.has(separate)) {
      throw ConfigError(where + ": key '" + separate + "' (separate SDF / texture models) is not supported; use 'nerstf'");
    }
  }
  parse_nerstf(map.child("nerstf"), where + ": nerstf", config.nerstf);
  parse_void(map.child("void"), where + ": void", config);
  parse_volume(map.child("volume"), where + ": volume", config.volume);
  config.grid_size = map.required<int64_t>("grid_size");
  config.n_coarse_samples = map.required<int64_t>("n_coarse_samples");
  config.n_fine_samples = map.required<int64_t>("n_fine_samples");
  require(config.grid_size >= 2, where, "'grid_size' must be at least 2");
  require_positive(config.n_coarse_samples, where, "n_coarse_samples");
  require_positive(config.n_fine_samples, where, "n_fine_samples");
  if (map.has("importance_sampling_options")) {
    StrictYamlMap options(map.child("importance_sampling_options"), where + ": importance_sampling_options");
    config.importance_blur_pool = options.optional<bool>("blur_pool", false);
    config.importance_alpha = options.optional<double>("alpha", 1e-5);
    options.reject_unknown_keys();
  }
  require(!map.optional<bool>("separate_shared_samples", false), where,
          "'separate_shared_samples: true' is not supported (Shap-E shares the coarse samples)");
  if (map.has("texture_channels")) {
    const auto channels = map.required<std::vector<std::string>>("texture_channels");
    require(channels == std::vector<std::string>{"R", "G", "B"}, where, "'texture_channels' must be [R, G, B]");
  }
  config.channel_scale = read_vec3(map, "channel_scale", config.channel_scale);
  config.output_srgb = map.optional<bool>("output_srgb", true);
  config.ambient_color = read_color(map, "ambient_color", config.ambient_color);
  config.diffuse_color = read_color(map, "diffuse_color", config.diffuse_color);
  for (double specular : read_color(map, "specular_color", {0.0})) {
    require(specular == 0.0, where, "'specular_color' must be 0 (shap-e's raycast renderer is diffuse only)");
  }
  map.reject_unknown_keys();
}

DecoderConfig decoder_config_from_yaml(const YAML::Node& root, const std::string& source) {
  StrictYamlMap map(root, source);
  const auto name = map.required<std::string>("name");
  require(name == "Transmitter", source, "model 'name' is '" + name + "'; only Transmitter is supported");
  DecoderConfig config;
  parse_encoder(map.child("encoder"), source + ": encoder", config);
  parse_renderer(map.child("renderer"), source + ": renderer", config);
  map.reject_unknown_keys();
  return config;
}

}  // namespace

NerstfOutputLayout nerstf_output_layout(const NerstfMlpConfig& config) {
  NerstfOutputLayout layout;
  using Range = NerstfOutputLayout::Range;
  if (config.direction_dependent_shape) {
    layout.sdf = {0, 1};
    if (config.separate_coarse_channels) {
      layout.density_coarse = {1, 2};
      layout.density_fine = {2, 3};
      layout.stf = {3, 6};
      layout.nerf_coarse = {6, 9};
      layout.nerf_fine = {9, 12};
    } else {
      layout.density_coarse = layout.density_fine = {1, 2};
      layout.stf = {2, 5};
      layout.nerf_coarse = layout.nerf_fine = config.separate_nerf_channels ? Range{5, 8} : Range{2, 5};
    }
  } else {
    layout.sdf = {0, 1, true};
    layout.density_coarse = {1, 2, true};
    layout.density_fine = config.separate_coarse_channels ? Range{2, 3, true} : layout.density_coarse;
    layout.stf = {0, 3};
    if (config.separate_coarse_channels) {
      layout.nerf_coarse = {3, 6};
      layout.nerf_fine = {6, 9};
    } else {
      layout.nerf_coarse = layout.nerf_fine = config.separate_nerf_channels ? Range{3, 6} : Range{0, 3};
    }
  }
  for (const auto& range : {layout.sdf, layout.density_coarse, layout.density_fine, layout.stf, layout.nerf_coarse,
                            layout.nerf_fine}) {
    if (!range.directionless) layout.width = std::max(layout.width, range.end);
  }
  return layout;
}

std::vector<int64_t> nerstf_layer_input_widths(const NerstfMlpConfig& config) {
  std::vector<int64_t> widths(config.n_layers(), config.d_hidden);
  widths[0] = kNerfPositionEncodingWidth;
  if (config.insert_direction_at) widths[*config.insert_direction_at] += kNerfDirectionEncodingWidth;
  return widths;
}

std::vector<int64_t> nerstf_layer_output_widths(const NerstfMlpConfig& config) {
  std::vector<int64_t> widths(config.n_layers(), config.d_hidden);
  widths.back() = nerstf_output_layout(config).width;
  return widths;
}

std::vector<DecoderConfig::MetaTensor> DecoderConfig::meta_tensors() const {
  // flatten_param_shapes: a [out, in] weight is `out` vectors of `in` channels, a bias 1 vector.
  const auto inputs = nerstf_layer_input_widths(nerstf);
  const auto outputs = nerstf_layer_output_widths(nerstf);
  std::vector<MetaTensor> tensors;
  for (int64_t layer = 0; layer < nerstf.n_layers(); ++layer) {
    if (!nerstf.is_meta_layer(layer)) continue;
    const auto prefix = "nerstf.mlp." + std::to_string(layer) + ".";
    if (nerstf.meta_proj) tensors.push_back({prefix + "weight", outputs[layer], inputs[layer], {outputs[layer], inputs[layer]}});
    if (nerstf.meta_bias) tensors.push_back({prefix + "bias", 1, outputs[layer], {outputs[layer]}});
  }
  return tensors;
}

int64_t DecoderConfig::latent_ctx() const {
  int64_t total = 0;
  for (const auto& tensor : meta_tensors()) total += tensor.vectors;
  return total;
}

DecoderConfig parse_decoder_config(const std::string& yaml_text, const std::string& source_name) {
  return decoder_config_from_yaml(parse_yaml_text(yaml_text, source_name), source_name);
}

DecoderConfig load_decoder_config(const std::string& yaml_path) {
  return decoder_config_from_yaml(load_yaml_file(yaml_path), yaml_path);
}

}  // namespace shape
