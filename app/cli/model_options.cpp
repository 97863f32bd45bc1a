#include "cli/model_options.h"

#include <cstdio>
#include <unistd.h>

#include "inference/pipeline/device.h"
#include "inference/pipeline/model_folder.h"
#include "inference/weights/cache_directory.h"
#include "inference/weights/progress_bar.h"
#include "inference/weights/weights_catalog.h"
#include "inference/weights/weights_unavailable.h"

namespace shape::cli {
namespace {

// How to use a present copy that failed its checksum anyway: the override flags for that file.
std::string use_anyway_flags(const std::string& filename, const std::filesystem::path& copy) {
  const auto quoted = [](const std::filesystem::path& path) { return "'" + path.string() + "'"; };
  if (filename == "text_cond.pt" || filename == "image_cond.pt") {
    const auto config = shipped_config(filename == "text_cond.pt" ? "text300M.yaml" : "image300M.yaml");
    return "--config " + quoted(config) + " --weights " + quoted(copy);
  }
  if (filename == "transmitter.pt") {
    return "--decoder-config " + quoted(shipped_config("transmitter.yaml")) + " --decoder-weights " + quoted(copy);
  }
  if (filename == "ViT-L-14.pt") return "--clip-weights " + quoted(copy);
  return "";
}

}  // namespace

std::string rejected_copies_notice(const std::vector<MissingWeightsFile>& missing) {
  std::string notice;
  for (const auto& entry : missing) {
    for (const auto& copy : entry.rejected_copies) {
      notice += "\n" + entry.file.filename + " is present at " + copy.path.string() + " but cannot be used: " +
                copy.reason + ".";
      if (copy.reason.rfind("SHA-256", 0) == 0) {
        notice += " It is damaged or a different file: download it again (shape-cli download, or the Models panel)";
        const auto flags = use_anyway_flags(entry.file.filename, copy.path);
        notice += flags.empty() ? "." : ", or use it anyway with " + flags + ".";
      }
    }
  }
  return notice;
}

const char* const kModelOptionsUsage = R"(  model options:
      --weights-dir DIR        official files you downloaded by hand (searched first)
      --cache-dir DIR          download cache (default: $SHAPE_STUDIO_CACHE, $XDG_CACHE_HOME/shape-studio)
      --download               download missing official files (with progress, resumable)
      --device cpu|cuda        where to run (default cpu)
      --precision auto|fp32|bf16|fp16   arithmetic of the heavy layers (default auto: bf16 on a CPU
                               that computes bf16 natively, fp16 on CUDA, else fp32; fp32 is exact)
      --config YAML --weights FILE          a custom or fine-tuned diffusion model
      --diffusion-config YAML               diffusion schedule
      --decoder-config YAML --decoder-weights FILE   a custom decoder (transmitter)
      --clip-weights FILE [--clip-config JSON]       a custom CLIP
      --model-dir DIR          a model folder (a train-diffusion run, or assets/demo-model)
      --no-demo                fail rather than use the built-in demo model when official files are missing
      --single-view            image models: condition on the picture alone, not on the mean of three
                               views of it (the picture, its mirror image, its middle 90%) that a
                               model folder's sampling.yaml may ask for
)";

bool ModelOptions::parse(const std::string& option, ArgumentReader& reader) {
  if (option == "--download") {
    download = true;
    return true;
  }
  if (option == "--no-demo") {
    no_demo = true;
    return true;
  }
  if (option == "--single-view") {
    single_view = true;
    return true;
  }
  const std::pair<const char*, std::filesystem::path*> paths[] = {
      {"--config", &transformer_config},         {"--weights", &transformer_weights},
      {"--diffusion-config", &diffusion_config}, {"--decoder-config", &decoder_config},
      {"--decoder-weights", &decoder_weights},   {"--clip-weights", &clip_weights},
      {"--clip-config", &clip_config},           {"--model-dir", &model_dir}};
  for (const auto& [name, target] : paths) {
    if (option == name) {
      *target = reader.value_of(option);
      return true;
    }
  }
  if (option == "--weights-dir") {
    weights_dir = std::filesystem::path(reader.value_of(option));
  } else if (option == "--cache-dir") {
    cache_dir = std::filesystem::path(reader.value_of(option));
  } else if (option == "--device") {
    device = reader.value_of(option);
  } else if (option == "--precision") {
    precision = parse_precision_option(option, reader.value_of(option));
  } else {
    return false;
  }
  return true;
}

Precision ModelOptions::resolved_precision() const {
  try {
    return resolve_precision(precision_request(), device);
  } catch (const std::invalid_argument& error) {
    throw UsageError{error.what()};
  }
}

WeightsStore ModelOptions::store() const {
  WeightsLocations locations;
  locations.cache_directory = resolve_cache_directory(cache_dir);
  locations.weights_directory = weights_dir;
  return WeightsStore(locations);
}

ModelFileSet resolve_model_files(const ModelOptions& options, ConditioningMode mode, bool decoder_only,
                                 const std::atomic<bool>* cancel) {
  check_device_name(options.device);
  if (options.transformer_config.empty() != options.transformer_weights.empty()) {
    throw UsageError{"--config and --weights go together"};
  }
  if (options.decoder_config.empty() != options.decoder_weights.empty()) {
    throw UsageError{"--decoder-config and --decoder-weights go together"};
  }
  OfficialModelParts parts;
  parts.diffusion_model = !decoder_only && options.transformer_config.empty();
  parts.clip = !decoder_only && options.clip_weights.empty();
  parts.decoder = options.decoder_config.empty();

  ModelFileSet files;
  if (!options.model_dir.empty()) {
    files = model_folder_files(options.model_dir, mode);
  } else if (parts.diffusion_model || parts.clip || parts.decoder) {
    DownloadOptions download;
    download.cancel = cancel;
    const bool terminal = isatty(STDERR_FILENO);
    download.on_progress = [terminal](const DownloadProgress& progress) {
      std::fprintf(stderr, terminal ? "\r%s" : "%s\n", render_progress_bar(progress, 60).c_str());
      std::fflush(stderr);
    };
    const bool all_official = parts.diffusion_model && parts.clip && parts.decoder;
    try {
      files = official_model_files(mode, options.store(),
                                   options.download ? FetchPolicy::DownloadMissing : FetchPolicy::LocalOnly, download,
                                   parts);
    } catch (const WeightsUnavailable& missing) {
      if (!all_official || options.download || options.no_demo || !demo_model_available(mode)) throw;
      files = model_folder_files(demo_model_folder(), mode);
      files.label = "demo model (not Shap-E)";
      files.notice = std::to_string(missing.missing().size()) + " official Shap-E model file" +
                     (missing.missing().size() == 1 ? " is" : "s are") + " not available, so the built-in demo model "
                     "stands in: " + model_folder_label(demo_model_folder()) +
                     ". For Shap-E itself, download the official weights (--download, or the Models panel)." +
                     rejected_copies_notice(missing.missing());
    }
    if (terminal) std::fprintf(stderr, "\n");
  }
  if (files.label.empty()) {
    files.label = !options.model_dir.empty() ? "model: " + model_folder_label(options.model_dir)
                  : mode == ConditioningMode::kText ? "Shap-E text300M"
                                                    : "Shap-E image300M";
  }
  if (!options.transformer_config.empty()) {
    files.label = "custom model: " + options.transformer_weights.filename().string();
    files.generator.transformer_config = options.transformer_config;
    files.generator.transformer_weights = options.transformer_weights;
    // Both were the replaced model's.
    files.recommended_guidance.reset();
    files.generator.average_picture_views = false;
  }
  if (!options.diffusion_config.empty()) files.generator.diffusion_config = options.diffusion_config;
  if (files.generator.diffusion_config.empty()) files.generator.diffusion_config = shipped_config("diffusion.yaml");
  if (!options.clip_weights.empty()) files.generator.clip_weights = options.clip_weights;
  if (!options.clip_config.empty()) files.generator.clip_config = options.clip_config;
  if (options.single_view) files.generator.average_picture_views = false;
  if (!parts.decoder) {
    files.decoder_config = options.decoder_config;
    files.decoder_weights = options.decoder_weights;
  }
  return files;
}

}  // namespace shape::cli
