#include "inference/pipeline/official_models.h"

#include "inference/weights/weights_catalog.h"

namespace shape {
namespace {

// The downloaded official config if it is present and verified, else the shipped reconstruction.
std::filesystem::path config_path(const WeightsStore& store, const char* catalog_name, const char* shipped_name) {
  const auto status = store.status(official_weights_file(catalog_name));
  if (status.state == WeightsFileState::Verified) return status.path;
  return shipped_config(shipped_name);
}

}  // namespace

std::filesystem::path shipped_config(const std::string& name) {
  return std::filesystem::path(SHAPE_RESOURCES_DIR) / "configs" / name;
}

std::vector<WeightsFile> official_model_weights(ConditioningMode mode) {
  const char* model = mode == ConditioningMode::kText ? "text300M" : "image300M";
  return {official_weights_file(model), official_weights_file("transmitter"), official_weights_file("ViT-L/14")};
}

ModelFileSet official_model_files(ConditioningMode mode, const WeightsStore& store, FetchPolicy policy,
                                  const DownloadOptions& download, const OfficialModelParts& parts) {
  const bool text = mode == ConditioningMode::kText;
  const char* model_config = text ? "text300M-config" : "image300M-config";
  const auto weights = official_model_weights(mode);  // model, transmitter, CLIP
  std::vector<WeightsFile> needed;
  if (parts.diffusion_model) needed.push_back(weights[0]);
  if (parts.decoder) needed.push_back(weights[1]);
  if (parts.clip) needed.push_back(weights[2]);
  if (policy == FetchPolicy::DownloadMissing) {
    // Fetch the official configs too; without them the shipped reconstructions serve.
    if (parts.diffusion_model) {
      needed.push_back(official_weights_file(model_config));
      needed.push_back(official_weights_file("diffusion-config"));
    }
    if (parts.decoder) needed.push_back(official_weights_file("transmitter-config"));
  }
  const auto paths = store.ensure_available(needed, policy, download);

  ModelFileSet files;
  size_t next = 0;
  if (parts.diffusion_model) {
    files.generator.transformer_weights = paths[next++];
    files.generator.transformer_config = config_path(store, model_config, text ? "text300M.yaml" : "image300M.yaml");
    files.generator.diffusion_config = config_path(store, "diffusion-config", "diffusion.yaml");
  }
  if (parts.decoder) {
    files.decoder_weights = paths[next++];
    files.decoder_config = config_path(store, "transmitter-config", "transmitter.yaml");
  }
  if (parts.clip) files.generator.clip_weights = paths[next++];
  return files;
}

}  // namespace shape
