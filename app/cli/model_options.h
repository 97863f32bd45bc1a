// The options every model-using command shares: where the weights are, custom files, the device.
#pragma once

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cli/arguments.h"
#include "inference/pipeline/official_models.h"
#include "inference/precision.h"
#include "inference/weights/weights_unavailable.h"

namespace shape::cli {

struct ModelOptions {
  std::optional<std::filesystem::path> weights_dir;  // hand-downloaded official files
  std::optional<std::filesystem::path> cache_dir;    // the download cache (default: XDG cache)
  bool download = false;                             // fetch missing official files
  std::string device = "cpu";
  std::optional<PrecisionRequest> precision;  // --precision; auto when not given
  // Custom or fine-tuned models; each replaces the official file of the same role.
  std::filesystem::path transformer_config, transformer_weights, diffusion_config;
  std::filesystem::path decoder_config, decoder_weights;
  std::filesystem::path clip_weights, clip_config;
  // A model folder (pipeline/model_folder.h), e.g. a train-diffusion run; the files above replace its own.
  std::filesystem::path model_dir;
  // Without official weights the built-in demo model stands in, unless this is set.
  bool no_demo = false;
  // Condition an image model on the picture alone, though its sampling.yaml asks for three views.
  bool single_view = false;

  // Consumes `option` (and its value) if it is one of these; false otherwise.
  bool parse(const std::string& option, ArgumentReader& reader);
  WeightsStore store() const;
  PrecisionRequest precision_request() const { return precision.value_or(PrecisionRequest::kAuto); }
  // The precision the models run in on `device` (UsageError for fp16 on a CPU).
  Precision resolved_precision() const;
};

// The usage lines for these options.
extern const char* const kModelOptionsUsage;

// For each official file found but not usable (e.g. its SHA-256 differs: damaged, or another file of
// that name): a line naming the file, where it is, why, and what to do (download it again, or the
// flags that use it anyway). Empty when no copy was rejected.
std::string rejected_copies_notice(const std::vector<MissingWeightsFile>& missing);

// The files to load for `mode`: custom files where given, then a model folder's, the official ones
// otherwise. The decoder alone when `decoder_only`. When official model files are missing (and no
// custom files, --download or --no-demo are given) the built-in demo model of that mode, text or
// image, is used, with a notice naming what is missing. Prints download progress to stderr.
ModelFileSet resolve_model_files(const ModelOptions& options, ConditioningMode mode, bool decoder_only = false,
                                 const std::atomic<bool>* cancel = nullptr);

}  // namespace shape::cli
