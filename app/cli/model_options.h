// The options every model-using command shares: where the weights are, custom files, the device.
#pragma once

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>

#include "cli/arguments.h"
#include "inference/pipeline/official_models.h"

namespace shape::cli {

struct ModelOptions {
  std::optional<std::filesystem::path> weights_dir;  // hand-downloaded official files
  std::optional<std::filesystem::path> cache_dir;    // the download cache (default: XDG cache)
  bool download = false;                             // fetch missing official files
  std::string device = "cpu";
  // Custom or fine-tuned models; each replaces the official file of the same role.
  std::filesystem::path transformer_config, transformer_weights, diffusion_config;
  std::filesystem::path decoder_config, decoder_weights;
  std::filesystem::path clip_weights, clip_config;

  // Consumes `option` (and its value) if it is one of these; false otherwise.
  bool parse(const std::string& option, ArgumentReader& reader);
  WeightsStore store() const;
};

// The usage lines for these options.
extern const char* const kModelOptionsUsage;

// The files to load for `mode`: custom files where given, the official ones otherwise. The decoder
// alone when `decoder_only`. Prints download progress to stderr.
ModelFileSet resolve_model_files(const ModelOptions& options, ConditioningMode mode, bool decoder_only = false,
                                 const std::atomic<bool>* cancel = nullptr);

}  // namespace shape::cli
