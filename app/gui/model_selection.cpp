#include "gui/model_selection.h"

#include <stdexcept>

namespace shape::studio {

namespace {

// The options' field for each panel path (weights_dir is optional, handled apart).
std::filesystem::path* file_option(cli::ModelOptions& options, ModelPath which) {
  switch (which) {
    case ModelPath::TransformerConfig: return &options.transformer_config;
    case ModelPath::TransformerWeights: return &options.transformer_weights;
    case ModelPath::DecoderConfig: return &options.decoder_config;
    case ModelPath::DecoderWeights: return &options.decoder_weights;
    case ModelPath::ClipWeights: return &options.clip_weights;
    case ModelPath::WeightsDir: return nullptr;
  }
  return nullptr;
}

}  // namespace

CustomModelPaths custom_paths_of(const cli::ModelOptions& options) {
  CustomModelPaths paths;
  cli::ModelOptions copy = options;
  for (size_t i = 0; i < kModelPathCount; ++i) {
    const auto which = static_cast<ModelPath>(i);
    if (const auto* option = file_option(copy, which)) paths[which] = option->string();
  }
  if (options.weights_dir) paths[ModelPath::WeightsDir] = options.weights_dir->string();
  return paths;
}

CustomModelPaths merge_custom_paths(const CustomModelPaths& saved, const cli::ModelOptions& command_line) {
  CustomModelPaths merged = saved;
  const CustomModelPaths given = custom_paths_of(command_line);
  for (size_t i = 0; i < kModelPathCount; ++i) {
    if (!given.paths[i].empty()) merged.paths[i] = given.paths[i];
  }
  return merged;
}

cli::ModelOptions with_custom_paths(cli::ModelOptions options, const CustomModelPaths& paths) {
  for (size_t i = 0; i < kModelPathCount; ++i) {
    const auto which = static_cast<ModelPath>(i);
    if (auto* option = file_option(options, which)) *option = paths[which];
  }
  options.weights_dir.reset();
  if (!paths[ModelPath::WeightsDir].empty()) options.weights_dir = std::filesystem::path(paths[ModelPath::WeightsDir]);
  return options;
}

ModelResolver make_model_resolver(const cli::ModelOptions& options) {
  return [options](ConditioningMode mode) {
    try {
      return cli::resolve_model_files(options, mode);
    } catch (const cli::UsageError& error) {  // not a std::exception
      throw std::runtime_error(error.message);
    }
  };
}

WeightsLocations model_locations(const cli::ModelOptions& options) {
  try {
    return options.store().locations();
  } catch (const std::exception&) {
    WeightsLocations locations;
    locations.cache_directory = options.cache_dir.value_or(std::filesystem::path("shape-studio-cache"));
    locations.weights_directory = options.weights_dir;
    return locations;
  }
}

std::string custom_models_note(const cli::ModelOptions& options) {
  std::string custom;
  if (!options.transformer_config.empty()) custom += "diffusion model, ";
  if (!options.clip_weights.empty()) custom += "CLIP, ";
  if (!options.decoder_config.empty()) custom += "decoder, ";
  return custom.empty() ? "" : "custom files replace: " + custom.substr(0, custom.size() - 2);
}

}  // namespace shape::studio
