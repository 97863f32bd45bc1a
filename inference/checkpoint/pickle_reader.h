// A restricted reader for the data.pkl of a torch.save'd state dict. It interprets the pickle
// opcodes itself and never runs code from the file: the only globals it accepts are the few torch
// uses to describe tensors (collections.OrderedDict, torch._utils._rebuild_tensor_v2 and
// _rebuild_parameter, torch.<Type>Storage), and those are interpreted here, not called.
// An opt-in second mode reads the module tree of a TorchScript archive the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "inference/checkpoint/element_type.h"

namespace shape::checkpoint_detail {

// A storage as named by a persistent id ('storage', torch.<Type>Storage, key, location, numel);
// its bytes are the zip entry <root>/data/<key>.
struct PickledStorage {
  std::string key;
  ElementType element_type = ElementType::Float32;
  uint64_t numel = 0;
};

// One state-dict entry: a strided view of a storage. Sizes and strides are non-negative and every
// element the view reaches lies inside the storage (checked by parse_state_dict_pickle).
struct PickledTensor {
  std::string name;
  PickledStorage storage;
  uint64_t storage_offset = 0;
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;
};

// Reads a pickled dict / OrderedDict of name -> tensor (protocol 2, plus the protocol 4/5 opcodes
// a newer torch may emit). Entries come in pickle (insertion) order. The BUILD torch appends to
// state dicts (the `_metadata` attribute) is accepted and dropped. Throws FormatError for anything
// else: unsupported opcodes, disallowed globals, non-tensor values, malformed or truncated data.
std::vector<PickledTensor> parse_state_dict_pickle(const uint8_t* data, size_t size);

// Reads the data.pkl of a TorchScript archive (torch.jit.save, e.g. OpenAI's CLIP ViT-L-14.pt): a
// tree of `__torch__.*` module objects, each pickled as GLOBAL + EMPTY_TUPLE + NEWOBJ and a BUILD
// with its attribute dict. Those classes become inert attribute containers (nothing from the
// archive's code/ folder is read or run); every tensor-valued attribute is returned under its
// attribute path ("visual.conv1.weight"), depth first in pickle order, which for torch's writer is
// the order of named_parameters() / named_buffers(). Parameters, buffers and plain tensor
// attributes are not told apart. Other attribute values (bool, int, None, str, containers) are
// skipped. Globals other than `__torch__.*` classes and the state-dict ones are still rejected, as
// are objects with a non-dict state (custom C++ classes such as quantized packed parameters).
std::vector<PickledTensor> parse_script_module_pickle(const uint8_t* data, size_t size);

}  // namespace shape::checkpoint_detail
