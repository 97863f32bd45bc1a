// The dimensions of a CLIP model: the arguments of clip.model.CLIP(...) (ViT vision towers only).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "inference/checkpoint/json_parser.h"
#include "inference/checkpoint/state_dict.h"
#include "inference/config/config_error.h"

namespace shape {

// Defaults are OpenAI's ViT-L/14 (the CLIP shap-e uses).
struct ClipConfig {
  int64_t embed_dim = 768;  // joint embedding width (text_projection / visual.proj outputs)
  // Vision transformer.
  int64_t image_resolution = 224;
  int64_t vision_layers = 24;
  int64_t vision_width = 1024;
  int64_t vision_patch_size = 14;
  // Text transformer.
  int64_t context_length = 77;
  int64_t vocab_size = 49408;
  int64_t transformer_width = 768;
  int64_t transformer_heads = 12;
  int64_t transformer_layers = 12;

  // CLIP fixes 64 channels per vision head.
  int64_t vision_heads() const { return vision_width / 64; }
  // The patch grid: grid_size() x grid_size() tokens of grid_feature_dim() channels
  // (ViT-L/14: 16 x 16 x 1024), what shap-e's image-conditioned model consumes.
  int64_t grid_size() const { return image_resolution / vision_patch_size; }
  int64_t grid_tokens() const { return grid_size() * grid_size(); }
  int64_t grid_feature_dim() const { return vision_width; }

  // Throws ConfigError (prefixed with `source`) unless every size is positive, the widths divide
  // into heads, and the patch fits the image.
  void validate(const std::string& source) const;

  bool operator==(const ClipConfig& other) const;
  bool operator!=(const ClipConfig& other) const { return !(*this == other); }
};

std::string to_string(const ClipConfig& config);

// From a JSON object of the ten clip.model.CLIP arguments (all required; keys starting with '_' are
// comments and ignored; anything else is an error). A list for vision_layers (the ResNet towers)
// is rejected: only ViT CLIPs are supported.
ClipConfig clip_config_from_json(const checkpoint_detail::JsonValue& object, const std::string& source);
ClipConfig parse_clip_config_json(std::string_view json_text, const std::string& source);
ClipConfig load_clip_config_json(const std::filesystem::path& path);

// What clip.model.build_model infers from a state dict's shapes (the released checkpoints carry
// no config). build_model takes transformer_heads = transformer_width / 64, which is right for
// every released CLIP but cannot be read off the shapes; pass `transformer_heads` for other models
// (e.g. the golden test CLIP: width 32, 2 heads). Throws ConfigError naming a missing key or an
// impossible shape.
ClipConfig infer_clip_config(const StateDict& weights, std::optional<int64_t> transformer_heads = std::nullopt);

}  // namespace shape
