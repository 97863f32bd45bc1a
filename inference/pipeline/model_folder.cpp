#include "inference/pipeline/model_folder.h"

#include <fstream>
#include <optional>
#include <stdexcept>

#include "inference/config/strict_yaml_map.h"

namespace shape {
namespace fs = std::filesystem;
namespace {

std::optional<double> recommended_guidance(const fs::path& folder) {
  const fs::path path = folder / kSamplingDefaultsFile;
  if (!fs::exists(path)) return std::nullopt;
  StrictYamlMap map(load_yaml_file(path.string()), path.string());
  const auto guidance = map.required<double>("guidance_scale");
  if (!(guidance >= 0.0 && guidance <= 100.0)) {
    throw ConfigError(path.string() + ": 'guidance_scale' must be between 0 and 100, got " + std::to_string(guidance));
  }
  map.reject_unknown_keys();
  return guidance;
}

}  // namespace

ModelFileSet model_folder_files(const fs::path& folder, const fs::path& clip_weights, const fs::path& clip_config) {
  ModelFileSet files;
  files.generator.transformer_config = folder / kTransformerConfigFile;
  files.generator.transformer_weights = folder / kTransformerWeightsFile;
  files.generator.diffusion_config = folder / kDiffusionConfigFile;
  files.generator.clip_weights = clip_weights.empty() ? folder / kClipWeightsFile : clip_weights;
  files.generator.clip_config = clip_weights.empty() ? folder / kClipConfigFile : clip_config;
  files.decoder_config = folder / kTransmitterConfigFile;
  files.decoder_weights = folder / kTransmitterWeightsFile;

  std::string missing;
  for (const auto& path : {files.generator.transformer_config, files.generator.transformer_weights,
                           files.generator.diffusion_config, files.generator.clip_weights, files.decoder_config,
                           files.decoder_weights}) {
    if (!fs::is_regular_file(path)) missing += "\n  " + path.string();
  }
  if (!files.generator.clip_config.empty() && !fs::is_regular_file(files.generator.clip_config)) {
    missing += "\n  " + files.generator.clip_config.string();
  }
  if (!missing.empty()) throw std::runtime_error(folder.string() + " is not a complete model folder; missing:" + missing);
  files.recommended_guidance = recommended_guidance(folder);
  return files;
}

std::string model_folder_label(const fs::path& folder) {
  std::ifstream file(folder / kModelLabelFile);
  std::string label;
  if (file && std::getline(file, label) && !label.empty()) return label;
  return folder.filename().string();
}

fs::path demo_model_folder() { return fs::path(SHAPE_ASSETS_DIR) / "demo-model"; }

bool demo_model_available() { return fs::is_regular_file(demo_model_folder() / kTransformerWeightsFile); }

}  // namespace shape
