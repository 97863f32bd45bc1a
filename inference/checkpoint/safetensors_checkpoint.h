// .safetensors files: a u64 little-endian header length N, N bytes of JSON describing each tensor,
// then the raw little-endian row-major data.
#pragma once

#include "inference/checkpoint/byte_source.h"
#include "inference/checkpoint/state_dict.h"

namespace shape::checkpoint_detail {

// Tensors come in the order the JSON header lists them (the reference writer sorts them by name),
// not in data order. `__metadata__` is ignored. Throws FormatError.
StateDict load_safetensors_checkpoint(const ByteSource& source);

}  // namespace shape::checkpoint_detail
