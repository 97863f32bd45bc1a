// .safetensors files: a u64 little-endian header length N, N bytes of JSON describing each tensor,
// then the raw little-endian row-major data.
#pragma once

#include <memory>

#include "inference/checkpoint/byte_source.h"
#include "inference/checkpoint/stored_tensors.h"

namespace shape::checkpoint_detail {

// Where the tensors lie, in the order the JSON header lists them (the reference writer sorts them by
// name), not in data order; their bytes are read when the tensors are. `__metadata__` is ignored.
// Throws FormatError.
std::shared_ptr<const StoredTensors> index_safetensors_checkpoint(std::shared_ptr<const ByteSource> source);

}  // namespace shape::checkpoint_detail
