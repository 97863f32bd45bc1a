// A self-contained model folder: every file generation needs, side by side under fixed names.
// train-diffusion writes one, and the built-in demo model (assets/demo-model) is one:
//   text_cond.yaml  text_cond.safetensors  diffusion.yaml     the latent diffusion model
//   clip_text.json  clip_text.safetensors                     its CLIP text tower
//   transmitter.yaml  transmitter.safetensors                 encoder + decoder
//   model.txt (optional)                                      a one-line label shown to users
//   sampling.yaml (optional)                                  "guidance_scale: 4": the guidance the
//                                                             model works best with (the CLI's and
//                                                             GUI's default for it)
// Torch-free header.
#pragma once

#include <filesystem>
#include <string>

#include "inference/pipeline/official_models.h"

namespace shape {

inline constexpr const char* kTransformerConfigFile = "text_cond.yaml";
inline constexpr const char* kTransformerWeightsFile = "text_cond.safetensors";
inline constexpr const char* kDiffusionConfigFile = "diffusion.yaml";
inline constexpr const char* kClipConfigFile = "clip_text.json";
inline constexpr const char* kClipWeightsFile = "clip_text.safetensors";
inline constexpr const char* kTransmitterConfigFile = "transmitter.yaml";
inline constexpr const char* kTransmitterWeightsFile = "transmitter.safetensors";
inline constexpr const char* kModelLabelFile = "model.txt";
inline constexpr const char* kSamplingDefaultsFile = "sampling.yaml";

// The folder's files. `clip_weights` / `clip_config`, when given, replace the folder's text tower
// (a model trained against frozen CLIP weights). Throws std::runtime_error naming every missing file,
// ConfigError for a malformed sampling.yaml.
ModelFileSet model_folder_files(const std::filesystem::path& folder, const std::filesystem::path& clip_weights = {},
                                const std::filesystem::path& clip_config = {});

// The folder's model.txt label, or its folder name.
std::string model_folder_label(const std::filesystem::path& folder);

// The demo model shipped in assets/demo-model (trained on the procedural primitives).
std::filesystem::path demo_model_folder();
bool demo_model_available();

}  // namespace shape
