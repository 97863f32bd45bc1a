// Checkpoints written by torch.save (PyTorch >= 1.6 zip format) holding a dict or OrderedDict of
// tensors, as the official Shap-E checkpoints do.
#pragma once

#include <memory>

#include "inference/checkpoint/byte_source.h"
#include "inference/checkpoint/stored_tensors.h"

namespace shape::checkpoint_detail {

// Where the tensors lie, in the pickled dict's order; their bytes (and the CRC-32 of their records)
// are read when the tensors are. Throws FormatError.
std::shared_ptr<const StoredTensors> index_torch_zip_checkpoint(std::shared_ptr<const ByteSource> source);

// A TorchScript archive (torch.jit.save; e.g. OpenAI's CLIP ViT-L-14.pt) read without running any
// of it: the tensor attributes of its module tree by attribute path ("visual.conv1.weight"), see
// parse_script_module_pickle. Throws FormatError.
std::shared_ptr<const StoredTensors> index_torchscript_zip_tensors(std::shared_ptr<const ByteSource> source);

// Whether the zip's record folder has the code/ or constants.pkl records torch.jit.save writes
// (torch.save never does). Throws FormatError if the source is not a readable zip.
bool is_torchscript_zip(const ByteSource& source);

}  // namespace shape::checkpoint_detail
