// Reading model weights from disk without ever running code from the file.
//
// Supported: PyTorch's zip format (torch.save of a dict or collections.OrderedDict state dict, as the
// official Shap-E checkpoints are) and .safetensors. The legacy pre-1.6 non-zip torch.save format is
// rejected with a clear message.
#pragma once

#include <filesystem>

#include "inference/checkpoint/state_dict.h"

namespace shape {

// Detects the format from the file's first bytes. Throws CheckpointError with a message that names
// the file and the problem (truncated, corrupt, disallowed pickle global, unsupported dtype, ...).
StateDict load_checkpoint(const std::filesystem::path& path);

}  // namespace shape
