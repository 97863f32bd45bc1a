#include "inference/clip/clip_config.h"

#include <cmath>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "inference/checkpoint/format_error.h"

namespace shape {
namespace {

constexpr int64_t kVisionHeadWidth = 64;

struct Field {
  const char* name;
  int64_t ClipConfig::*member;
};

constexpr Field kFields[] = {
    {"embed_dim", &ClipConfig::embed_dim},
    {"image_resolution", &ClipConfig::image_resolution},
    {"vision_layers", &ClipConfig::vision_layers},
    {"vision_width", &ClipConfig::vision_width},
    {"vision_patch_size", &ClipConfig::vision_patch_size},
    {"context_length", &ClipConfig::context_length},
    {"vocab_size", &ClipConfig::vocab_size},
    {"transformer_width", &ClipConfig::transformer_width},
    {"transformer_heads", &ClipConfig::transformer_heads},
    {"transformer_layers", &ClipConfig::transformer_layers},
};

// The shape of a tensor the config is read from, without reading the tensor.
c10::IntArrayRef required(const StateDict& weights, const std::string& key, int64_t dims) {
  if (!weights.contains(key)) {
    throw ConfigError("CLIP weights: no '" + key + "' (not a ViT CLIP state dict?)");
  }
  const c10::IntArrayRef sizes = weights.sizes(key);
  if (static_cast<int64_t>(sizes.size()) != dims) {
    std::ostringstream message;
    message << "CLIP weights: '" << key << "' has shape " << sizes << ", expected " << dims << " dimensions";
    throw ConfigError(message.str());
  }
  return sizes;
}

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

void ClipConfig::validate(const std::string& source) const {
  for (const Field& field : kFields) {
    if (this->*field.member <= 0) {
      throw ConfigError(source + ": CLIP '" + field.name + "' must be positive, got " +
                        std::to_string(this->*field.member));
    }
  }
  if (vision_heads() < 1 || vision_width % vision_heads() != 0) {
    throw ConfigError(source + ": CLIP vision_width (" + std::to_string(vision_width) +
                      ") must split into vision_width / 64 heads of equal width");
  }
  if (transformer_width % transformer_heads != 0) {
    throw ConfigError(source + ": CLIP transformer_width (" + std::to_string(transformer_width) +
                      ") is not a multiple of transformer_heads (" + std::to_string(transformer_heads) + ")");
  }
  if (vision_patch_size > image_resolution) {
    throw ConfigError(source + ": CLIP vision_patch_size (" + std::to_string(vision_patch_size) +
                      ") exceeds image_resolution (" + std::to_string(image_resolution) + ")");
  }
}

bool ClipConfig::operator==(const ClipConfig& other) const {
  for (const Field& field : kFields) {
    if (this->*field.member != other.*field.member) return false;
  }
  return true;
}

std::string to_string(const ClipConfig& config) {
  std::string text = "{";
  for (const Field& field : kFields) {
    text += std::string(text.size() > 1 ? ", " : "") + field.name + ": " + std::to_string(config.*field.member);
  }
  return text + "}";
}

ClipConfig clip_config_from_json(const checkpoint_detail::JsonValue& object, const std::string& source) {
  if (!object.is_object()) throw ConfigError(source + ": a CLIP config must be a JSON object");
  ClipConfig config;
  std::set<std::string> seen;
  for (const auto& member : object.as_object()) {
    if (starts_with(member.key, "_")) continue;  // comments, e.g. "_note"
    const Field* field = nullptr;
    for (const Field& candidate : kFields) {
      if (member.key == candidate.name) field = &candidate;
    }
    if (field == nullptr) throw ConfigError(source + ": unknown CLIP config key '" + member.key + "'");
    if (member.key == "vision_layers" && member.value.is_array()) {
      throw ConfigError(source + ": vision_layers is a list (a ResNet CLIP); only ViT CLIPs are supported");
    }
    try {
      config.*field->member = member.value.as_int64();
    } catch (const checkpoint_detail::FormatError&) {
      throw ConfigError(source + ": CLIP config key '" + member.key + "' must be an integer");
    }
    seen.insert(member.key);
  }
  for (const Field& field : kFields) {
    if (!seen.count(field.name)) throw ConfigError(source + ": CLIP config lacks '" + std::string(field.name) + "'");
  }
  config.validate(source);
  return config;
}

ClipConfig parse_clip_config_json(std::string_view json_text, const std::string& source) {
  checkpoint_detail::JsonValue root;
  try {
    root = checkpoint_detail::parse_json(json_text);
  } catch (const checkpoint_detail::FormatError& error) {
    throw ConfigError(source + ": invalid JSON: " + error.what());
  }
  return clip_config_from_json(root, source);
}

ClipConfig load_clip_config_json(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) throw ConfigError(path.string() + ": cannot open CLIP config");
  const std::string text((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
  return parse_clip_config_json(text, path.string());
}

ClipConfig infer_clip_config(const StateDict& weights, std::optional<int64_t> transformer_heads) {
  if (!weights.contains("visual.proj")) {
    throw ConfigError("CLIP weights: no 'visual.proj': not a ViT CLIP (ResNet CLIPs are not supported)");
  }
  ClipConfig config;
  const c10::IntArrayRef conv1 = required(weights, "visual.conv1.weight", 4);
  config.vision_width = conv1[0];
  config.vision_patch_size = conv1[3];
  config.vision_layers = 0;
  std::set<std::string> text_blocks;
  for (const std::string& key : weights.keys()) {
    if (starts_with(key, "visual.") && ends_with(key, ".attn.in_proj_weight")) ++config.vision_layers;
    if (starts_with(key, "transformer.resblocks")) {
      // key.split(".")[2]: the block index
      const size_t first = key.find('.');
      const size_t second = key.find('.', first + 1);
      const size_t third = second == std::string::npos ? std::string::npos : key.find('.', second + 1);
      text_blocks.insert(second == std::string::npos ? "" : key.substr(second + 1, third - second - 1));
    }
  }
  const int64_t vision_positions = required(weights, "visual.positional_embedding", 2)[0];
  const auto grid_size = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(vision_positions - 1))));
  if (vision_positions < 2 || grid_size * grid_size + 1 != vision_positions) {
    throw ConfigError("CLIP weights: visual.positional_embedding has " + std::to_string(vision_positions) +
                      " positions, not a square grid plus the class token");
  }
  config.image_resolution = config.vision_patch_size * grid_size;
  config.embed_dim = required(weights, "text_projection", 2)[1];
  config.context_length = required(weights, "positional_embedding", 2)[0];
  config.vocab_size = required(weights, "token_embedding.weight", 2)[0];
  config.transformer_width = required(weights, "ln_final.weight", 1)[0];
  config.transformer_layers = static_cast<int64_t>(text_blocks.size());
  config.transformer_heads = transformer_heads.value_or(config.transformer_width / kVisionHeadWidth);
  if (config.transformer_heads <= 0) {
    throw ConfigError("CLIP weights: transformer_width " + std::to_string(config.transformer_width) +
                      " is below 64, so build_model's heads = width / 64 is 0; pass the text head count");
  }
  config.validate("CLIP weights");
  return config;
}

}  // namespace shape
