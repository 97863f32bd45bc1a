#include "gui/custom_models.h"

#include <filesystem>
#include <system_error>

namespace shape::studio {

namespace fs = std::filesystem;

namespace {

struct PathInfo {
  const char* label;
  const char* key;
  bool folder;
};

constexpr PathInfo kPaths[kModelPathCount] = {
    {"weights folder", "weights_dir", true},
    {"diffusion config", "transformer_config", false},
    {"diffusion weights", "transformer_weights", false},
    {"decoder config", "decoder_config", false},
    {"decoder weights", "decoder_weights", false},
    {"CLIP weights", "clip_weights", false},
};

void add(std::string& messages, const std::string& message) {
  messages += (messages.empty() ? "" : "\n") + message;
}

void check_pair(const CustomModelPaths& paths, ModelPath config, ModelPath weights, std::string& messages) {
  if (paths[config].empty() != paths[weights].empty()) {
    add(messages, std::string(model_path_label(config)) + " and " + model_path_label(weights) +
                      " go together: give both or neither");
  }
}

}  // namespace

const char* model_path_label(ModelPath which) { return kPaths[static_cast<std::size_t>(which)].label; }
const char* model_path_key(ModelPath which) { return kPaths[static_cast<std::size_t>(which)].key; }

std::string check_custom_models(const CustomModelPaths& paths) {
  std::string messages;
  for (std::size_t i = 0; i < kModelPathCount; ++i) {
    const std::string& path = paths.paths[i];
    if (path.empty()) continue;
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (!fs::exists(status)) {
      add(messages, std::string(kPaths[i].label) + ": no such " + (kPaths[i].folder ? "folder" : "file") + ": " + path);
    } else if (kPaths[i].folder && !fs::is_directory(status)) {
      add(messages, std::string(kPaths[i].label) + ": not a folder: " + path);
    } else if (!kPaths[i].folder && !fs::is_regular_file(status)) {
      add(messages, std::string(kPaths[i].label) + ": not a file: " + path);
    }
  }
  check_pair(paths, ModelPath::TransformerConfig, ModelPath::TransformerWeights, messages);
  check_pair(paths, ModelPath::DecoderConfig, ModelPath::DecoderWeights, messages);
  return messages;
}

}  // namespace shape::studio
