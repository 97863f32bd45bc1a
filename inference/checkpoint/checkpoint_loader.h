// Internal entry points behind load_checkpoint, for tests and fuzzing: load from any byte source
// (e.g. a buffer in memory) with the same format detection and error handling as the public call.
#pragma once

#include <cstddef>
#include <string>

#include "inference/checkpoint/byte_source.h"
#include "inference/checkpoint/state_dict.h"

namespace shape::checkpoint_detail {

enum class CheckpointFormat { TorchZip, Safetensors, LegacyTorchPickle, Unknown };

// From the first bytes: "PK\3\4" zip, '{' after an 8-byte length safetensors, 0x80 (pickle PROTO)
// legacy torch.save.
CheckpointFormat detect_format(const ByteSource& source);

// Throws only CheckpointError; its message starts with `display_name` (a path in practice).
StateDict load_checkpoint_from(const ByteSource& source, const std::string& display_name);

// The same for a buffer in memory.
StateDict load_checkpoint_from_memory(const void* data, size_t size, const std::string& display_name);

}  // namespace shape::checkpoint_detail
