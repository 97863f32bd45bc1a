#include "inference/clip/clip_weights.h"

#include <string>
#include <vector>

#include "inference/checkpoint/checkpoint.h"
#include "inference/checkpoint/checkpoint_loader.h"
#include "inference/checkpoint/format_error.h"
#include "inference/checkpoint/mapped_file.h"
#include "inference/checkpoint/torch_zip_checkpoint.h"
#include "inference/models/skip_random_init.h"

namespace shape {
namespace {

// Tensors of OpenAI's archives that are no parameters (build_model deletes them).
const std::vector<std::string> kNonWeightTensors = {"input_resolution", "context_length", "vocab_size"};

const std::vector<std::string> kTextTowerPrefixes = {"token_embedding.", "positional_embedding", "transformer.",
                                                     "ln_final.", "text_projection"};

std::vector<std::string> ignored_prefixes(ClipTowers towers) {
  std::vector<std::string> prefixes = kNonWeightTensors;
  if (towers != ClipTowers::kBoth) prefixes.push_back("logit_scale");
  if (towers == ClipTowers::kText) prefixes.push_back("visual.");
  if (towers == ClipTowers::kVision)
    prefixes.insert(prefixes.end(), kTextTowerPrefixes.begin(), kTextTowerPrefixes.end());
  return prefixes;
}

// Only files that torch.jit.save wrote go through the TorchScript reader; everything else (and
// every error message for it) is load_checkpoint's.
std::shared_ptr<const checkpoint_detail::StoredTensors> index_clip_weights(const std::filesystem::path& path) {
  auto source = checkpoint_detail::open_file_source(path);
  bool torchscript = false;
  try {
    torchscript = checkpoint_detail::detect_format(*source) == checkpoint_detail::CheckpointFormat::TorchZip &&
                  checkpoint_detail::is_torchscript_zip(*source);
  } catch (const checkpoint_detail::FormatError&) {
  }
  return torchscript ? checkpoint_detail::index_torchscript_zip_tensors(std::move(source))
                     : checkpoint_detail::index_checkpoint(std::move(source));
}

}  // namespace

StateDict load_clip_weights(const std::filesystem::path& path) {
  return checkpoint_detail::with_error_context(path.string(), [&] { return index_clip_weights(path)->read_all(); });
}

StateDict open_clip_weights(const std::filesystem::path& path) {
  return checkpoint_detail::with_error_context(path.string(), [&] {
    return checkpoint_detail::unread_state_dict(index_clip_weights(path), path.string());
  });
}

WeightBindingReport bind_clip_weights(ClipModel& model, const StateDict& weights, bool share_memory) {
  WeightBindingOptions options;
  options.ignored_prefixes = ignored_prefixes(model->towers());
  options.share_memory = share_memory;
  return bind_weights(*model, weights, options);
}

ClipModel load_clip_model(const std::filesystem::path& path, const ClipLoadOptions& options) {
  // Unread: the config comes from shapes, and the tower the model lacks is never read.
  StateDict weights = open_clip_weights(path);
  ClipConfig config;
  try {
    config = options.config ? *options.config : infer_clip_config(weights, options.transformer_heads);
  } catch (const ConfigError& error) {
    throw ConfigError(path.string() + ": " + error.what());
  }
  ClipModel model{nullptr};
  {
    const SkipRandomInit skip;  // every parameter is bound below
    model = ClipModel(config, options.towers);
  }
  try {
    bind_clip_weights(model, weights, /*share_memory=*/true);
  } catch (const WeightBindingError& error) {
    throw WeightBindingError(path.string() + ": " + error.what());
  }
  model->eval();
  return model;
}

}  // namespace shape
