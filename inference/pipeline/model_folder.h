// A self-contained model folder: every file generation needs, side by side under fixed names.
// train-diffusion writes one, and the built-in demo model (assets/demo-model) is one. It holds a
// text model, an image model or both, sharing one transmitter:
//   text_cond.yaml  text_cond.safetensors                     the text-conditioned diffusion model
//   clip_text.json  clip_text.safetensors                     its CLIP text tower
//   image_cond.yaml  image_cond.safetensors                   the image-conditioned one (image300M's class)
//   clip_vision.json  clip_vision.safetensors                 its CLIP vision tower
//   diffusion.yaml                                            the noise schedule (both)
//   transmitter.yaml  transmitter.safetensors                 encoder + decoder
//   model.txt (optional)                                      a one-line label shown to users
//   sampling.yaml (optional)                                  "guidance_scale: 4": the guidance the
//                                                             model works best with (the CLI's and
//                                                             GUI's default for it); for both models
//                                                             unless "image_guidance_scale" is given;
//                                                             "late_guidance_scale: 1" with
//                                                             "late_guidance_below_sigma: 3": another
//                                                             scale for the last, low-noise steps
//                                                             (GuidanceRecommendation; "image_" too);
//                                                             "image_average_views: true": condition
//                                                             the image model on three views of the
//                                                             picture (clip/picture_views.h)
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
inline constexpr const char* kImageTransformerConfigFile = "image_cond.yaml";
inline constexpr const char* kImageTransformerWeightsFile = "image_cond.safetensors";
inline constexpr const char* kVisionConfigFile = "clip_vision.json";
inline constexpr const char* kVisionWeightsFile = "clip_vision.safetensors";
inline constexpr const char* kModelLabelFile = "model.txt";
inline constexpr const char* kSamplingDefaultsFile = "sampling.yaml";

// The names of one conditioning mode's own files.
struct ModelFolderNames {
  const char* transformer_config;
  const char* transformer_weights;
  const char* clip_config;
  const char* clip_weights;
};
const ModelFolderNames& model_folder_names(ConditioningMode mode);

// The folder's files for `mode`. `clip_weights` / `clip_config`, when given, replace the folder's
// CLIP tower (a model trained against frozen CLIP weights). Throws std::runtime_error naming every
// missing file (saying so when the folder holds a model of the other mode only), ConfigError for a
// malformed sampling.yaml.
ModelFileSet model_folder_files(const std::filesystem::path& folder, ConditioningMode mode = ConditioningMode::kText,
                                const std::filesystem::path& clip_weights = {},
                                const std::filesystem::path& clip_config = {});

// Whether the folder holds a `mode` model (its diffusion weights are there; model_folder_files
// checks the rest).
bool model_folder_has(const std::filesystem::path& folder, ConditioningMode mode);

// The folder's model.txt label, or its folder name.
std::string model_folder_label(const std::filesystem::path& folder);

// The demo model shipped in assets/demo-model (trained on the procedural primitives).
std::filesystem::path demo_model_folder();
bool demo_model_available(ConditioningMode mode = ConditioningMode::kText);

}  // namespace shape
