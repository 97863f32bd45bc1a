// Loading CLIP weights: plain state dicts and OpenAI's TorchScript archives (ViT-L-14.pt).
//
// TorchScript archives are read without torch::jit: their data.pkl is unpickled by the project's
// restricted reader in its TorchScript module mode (checkpoint/pickle_reader.h), which treats the
// `__torch__.*` module classes as inert attribute containers and collects the tensors by attribute
// path, exactly the names of clip.model.CLIP's state dict. No code from the archive is run, and a
// hostile archive is rejected like a hostile state dict.
#pragma once

#include <filesystem>
#include <optional>

#include "inference/checkpoint/state_dict.h"
#include "inference/clip/clip_config.h"
#include "inference/clip/clip_model.h"
#include "inference/models/weight_binding.h"

namespace shape {

// The tensors of a CLIP checkpoint in file order: a torch.save state dict (zip), a .safetensors
// file, or a TorchScript archive. The released archives also hold the non-weight tensors
// input_resolution, context_length and vocab_size (which bind_clip_weights skips). Throws
// CheckpointError naming the file.
StateDict load_clip_weights(const std::filesystem::path& path);
// The same tensors unread (see open_checkpoint): each read when bound, the other tower's never.
StateDict open_clip_weights(const std::filesystem::path& path);

// Copies the weights into the model (converting dtype, e.g. the released fp16 to float32). Skips
// the archives' non-weight tensors and, for a one-tower model, the other tower's weights (and
// logit_scale). Throws WeightBindingError listing missing, mis-shaped and unexpected tensors.
// `share_memory`: see WeightBindingOptions.
WeightBindingReport bind_clip_weights(ClipModel& model, const StateDict& weights, bool share_memory = false);

struct ClipLoadOptions {
  ClipTowers towers = ClipTowers::kBoth;
  // The model's dimensions; inferred from the weights' shapes (as clip.build_model does) if unset.
  std::optional<ClipConfig> config;
  // For the inference: the text head count when transformer_width / 64 is not it.
  std::optional<int64_t> transformer_heads;
};

// A float32 CPU ClipModel with the file's weights bound, in eval mode: built without its random
// init, only its own tower's tensors read (float32 ones shared with the file's mapping, the
// released fp16 ones converted once into the model). Throws CheckpointError, ConfigError or
// WeightBindingError, each naming the file.
ClipModel load_clip_model(const std::filesystem::path& path, const ClipLoadOptions& options = {});

}  // namespace shape
