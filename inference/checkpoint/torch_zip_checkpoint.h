// Checkpoints written by torch.save (PyTorch >= 1.6 zip format) holding a dict or OrderedDict of
// tensors, as the official Shap-E checkpoints do.
#pragma once

#include "inference/checkpoint/byte_source.h"
#include "inference/checkpoint/state_dict.h"

namespace shape::checkpoint_detail {

// Tensors come in the pickled dict's order, each owning contiguous CPU memory. Throws FormatError.
StateDict load_torch_zip_checkpoint(const ByteSource& source);

// A TorchScript archive (torch.jit.save; e.g. OpenAI's CLIP ViT-L-14.pt) read without running any
// of it: the tensor attributes of its module tree by attribute path ("visual.conv1.weight"), see
// parse_script_module_pickle. Throws FormatError.
StateDict load_torchscript_zip_tensors(const ByteSource& source);

// Whether the zip's record folder has the code/ or constants.pkl records torch.jit.save writes
// (torch.save never does). Throws FormatError if the source is not a readable zip.
bool is_torchscript_zip(const ByteSource& source);

}  // namespace shape::checkpoint_detail
