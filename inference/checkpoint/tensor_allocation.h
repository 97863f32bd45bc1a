// The LibTorch side of the element types: dtype mapping and guarded allocation.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "inference/checkpoint/element_type.h"

namespace shape::checkpoint_detail {

torch::ScalarType to_scalar_type(ElementType type);

// An uninitialized contiguous CPU tensor. Callers check beforehand that its byte size is backed by
// the file, so a corrupt header cannot request an absurd allocation; a failing one still becomes a
// FormatError.
torch::Tensor allocate_tensor(ElementType type, const std::vector<int64_t>& sizes);

// Throws FormatError if a bool tensor read from a file holds bytes other than 0 and 1, which torch
// does not expect.
void check_bool_values(const torch::Tensor& tensor);

// Product of `sizes` times the element size, overflow-checked.
uint64_t tensor_byte_size(ElementType type, const std::vector<int64_t>& sizes);

}  // namespace shape::checkpoint_detail
