#include "inference/pipeline/model_folder.h"

#include <fstream>
#include <optional>
#include <stdexcept>

#include "inference/config/strict_yaml_map.h"

namespace shape {
namespace fs = std::filesystem;
namespace {

constexpr ModelFolderNames kTextNames{kTransformerConfigFile, kTransformerWeightsFile, kClipConfigFile,
                                      kClipWeightsFile};
constexpr ModelFolderNames kImageNames{kImageTransformerConfigFile, kImageTransformerWeightsFile, kVisionConfigFile,
                                       kVisionWeightsFile};

void check_guidance(double guidance, const std::string& key, const fs::path& path) {
  if (!(guidance >= 0.0 && guidance <= 100.0)) {
    throw ConfigError(path.string() + ": '" + key + "' must be between 0 and 100, got " + std::to_string(guidance));
  }
}

// "<prefix>guidance_scale" and, optionally, "<prefix>late_guidance_scale" with
// "<prefix>late_guidance_below_sigma"; `fallback` stands in for keys not given.
GuidanceRecommendation read_guidance(const StrictYamlMap& map, const std::string& prefix,
                                     const GuidanceRecommendation& fallback, const fs::path& path) {
  GuidanceRecommendation guidance = fallback;
  const std::string scale_key = prefix + "guidance_scale";
  const std::string late_key = prefix + "late_guidance_scale";
  const std::string below_key = prefix + "late_guidance_below_sigma";
  guidance.scale = prefix.empty() ? map.required<double>(scale_key) : map.optional<double>(scale_key, fallback.scale);
  check_guidance(guidance.scale, scale_key, path);
  if (map.has(late_key) != map.has(below_key)) {
    throw ConfigError(path.string() + ": '" + late_key + "' and '" + below_key + "' go together; one is missing");
  }
  if (map.has(late_key)) {
    guidance.late_scale = map.required<double>(late_key);
    check_guidance(guidance.late_scale, late_key, path);
    guidance.late_below_sigma = map.required<double>(below_key);
    if (!(guidance.late_below_sigma > 0.0 && guidance.late_below_sigma <= 1000.0)) {
      throw ConfigError(path.string() + ": '" + below_key + "' must be a noise level above 0 and at most 1000, got " +
                        std::to_string(guidance.late_below_sigma));
    }
  }
  return guidance;
}

// What sampling.yaml recommends for `mode`; the files unchanged where the folder has none.
void read_sampling_defaults(const fs::path& folder, ConditioningMode mode, ModelFileSet& files) {
  const fs::path path = folder / kSamplingDefaultsFile;
  if (!fs::exists(path)) return;
  StrictYamlMap map(load_yaml_file(path.string()), path.string());
  const auto text = read_guidance(map, "", {}, path);
  const auto image = read_guidance(map, "image_", text, path);
  const bool average_views = map.optional<bool>("image_average_views", false);
  map.reject_unknown_keys();
  files.recommended_guidance = mode == ConditioningMode::kText ? text : image;
  files.generator.average_picture_views = mode == ConditioningMode::kImage && average_views;
}

const char* mode_name(ConditioningMode mode) { return mode == ConditioningMode::kText ? "text" : "image"; }

}  // namespace

const ModelFolderNames& model_folder_names(ConditioningMode mode) {
  return mode == ConditioningMode::kText ? kTextNames : kImageNames;
}

ModelFileSet model_folder_files(const fs::path& folder, ConditioningMode mode, const fs::path& clip_weights,
                                const fs::path& clip_config) {
  const ModelFolderNames& names = model_folder_names(mode);
  ModelFileSet files;
  files.generator.transformer_config = folder / names.transformer_config;
  files.generator.transformer_weights = folder / names.transformer_weights;
  files.generator.diffusion_config = folder / kDiffusionConfigFile;
  files.generator.clip_weights = clip_weights.empty() ? folder / names.clip_weights : clip_weights;
  files.generator.clip_config = clip_weights.empty() ? folder / names.clip_config : clip_config;
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
  if (!missing.empty()) {
    const ConditioningMode other = mode == ConditioningMode::kText ? ConditioningMode::kImage : ConditioningMode::kText;
    const std::string what = !model_folder_has(folder, mode) && model_folder_has(folder, other)
                                 ? " has no " + std::string(mode_name(mode)) + " model (it holds " +
                                       (other == ConditioningMode::kText ? "a text" : "an image") +
                                       " model only); missing:"
                                 : " is not a complete " + std::string(mode_name(mode)) + " model folder; missing:";
    throw std::runtime_error(folder.string() + what + missing);
  }
  read_sampling_defaults(folder, mode, files);
  return files;
}

bool model_folder_has(const fs::path& folder, ConditioningMode mode) {
  return fs::is_regular_file(folder / model_folder_names(mode).transformer_weights);
}

std::string model_folder_label(const fs::path& folder) {
  std::ifstream file(folder / kModelLabelFile);
  std::string label;
  if (file && std::getline(file, label) && !label.empty()) return label;
  return folder.filename().string();
}

fs::path demo_model_folder() { return fs::path(SHAPE_ASSETS_DIR) / "demo-model"; }

bool demo_model_available(ConditioningMode mode) { return model_folder_has(demo_model_folder(), mode); }

}  // namespace shape
