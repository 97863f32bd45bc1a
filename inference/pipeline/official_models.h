// Where the official Shap-E models' files are: the weights manager's copies (--weights-dir, then
// the cache; downloaded on request) plus configs. The official YAMLs are used when present; else
// the reconstructions shipped in resources/configs. Torch-free header.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "inference/pipeline/guidance_recommendation.h"
#include "inference/pipeline/latent_generator.h"
#include "inference/weights/downloader.h"
#include "inference/weights/weights_catalog.h"
#include "inference/weights/weights_store.h"

namespace shape {

struct ModelFileSet {
  GeneratorFiles generator;
  std::filesystem::path decoder_config;
  std::filesystem::path decoder_weights;
  // For the user when these are not the files asked for, e.g. the built-in demo model standing in
  // for missing official weights. Empty otherwise.
  std::string notice;
  // A short name for the model in use, shown beside its results: "Shap-E text300M", "demo model
  // (not Shap-E)", "custom model: name.pt".
  std::string label;
  // The guidance the model was made for (a model folder's sampling.yaml); empty: Shap-E's
  // defaults (15 for text, 3 for images) suit it.
  std::optional<GuidanceRecommendation> recommended_guidance;
};

// The official weights a mode needs: its diffusion model, the transmitter and CLIP ViT-L/14.
std::vector<WeightsFile> official_model_weights(ConditioningMode mode);

// Which official files are wanted (the others may be replaced by custom ones).
struct OfficialModelParts {
  bool diffusion_model = true;  // text300M or image300M (+ its config)
  bool clip = true;             // ViT-L/14
  bool decoder = true;          // transmitter (+ its config)
};

// The wanted parts' paths (the others are left empty). Throws WeightsUnavailable naming every
// missing file, its URL and where to put it (and, with DownloadMissing, why its download failed),
// or DownloadCancelled.
ModelFileSet official_model_files(ConditioningMode mode, const WeightsStore& store, FetchPolicy policy,
                                  const DownloadOptions& download = {}, const OfficialModelParts& parts = {});

// The shipped reconstruction of an official config: resources/configs/<name>.
std::filesystem::path shipped_config(const std::string& name);

}  // namespace shape
