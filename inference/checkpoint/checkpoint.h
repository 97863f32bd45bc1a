// Reading model weights from disk without ever running code from the file.
//
// Supported: PyTorch's zip format (torch.save of a dict or collections.OrderedDict state dict, as the
// official Shap-E checkpoints are) and .safetensors. The legacy pre-1.6 non-zip torch.save format is
// rejected with a clear message.
//
// Files are memory-mapped (see mapped_file.h for what that means when a file changes on disk while
// loaded): tensors stored whole, as torch.save and safetensors store weights, are built over the
// mapping with no copy; only views that share storage are copied.
#pragma once

#include <filesystem>

#include "inference/checkpoint/state_dict.h"

namespace shape {

// Every tensor, read and checked (zip CRC-32s) before this returns. Detects the format from the
// file's first bytes. Throws CheckpointError with a message that names the file and the problem
// (truncated, corrupt, disallowed pickle global, unsupported dtype, ...).
StateDict load_checkpoint(const std::filesystem::path& path);

// The same file's tensors unread: the format, the zip directory, the pickle or the safetensors
// header are read and checked now (errors as load_checkpoint's), each tensor's bytes (and CRC-32)
// only when StateDict::at or read asks for it, so tensors nobody asks for cost nothing. A tensor
// that fails to read then throws CheckpointError naming the file.
StateDict open_checkpoint(const std::filesystem::path& path);

}  // namespace shape
