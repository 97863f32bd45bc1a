// Checkpoints written by torch.save (PyTorch >= 1.6 zip format) holding a dict or OrderedDict of
// tensors, as the official Shap-E checkpoints do.
#pragma once

#include "inference/checkpoint/byte_source.h"
#include "inference/checkpoint/state_dict.h"

namespace shape::checkpoint_detail {

// Tensors come in the pickled dict's order, each owning contiguous CPU memory. Throws FormatError.
StateDict load_torch_zip_checkpoint(const ByteSource& source);

}  // namespace shape::checkpoint_detail
