#include "inference/checkpoint/tensor_allocation.h"

#include <new>
#include <string>

#include "inference/checkpoint/checked_arithmetic.h"
#include "inference/checkpoint/format_error.h"

namespace shape::checkpoint_detail {

torch::ScalarType to_scalar_type(ElementType type) {
  switch (type) {
    case ElementType::Float32: return torch::kFloat32;
    case ElementType::Float16: return torch::kFloat16;
    case ElementType::BFloat16: return torch::kBFloat16;
    case ElementType::Float64: return torch::kFloat64;
    case ElementType::Int64: return torch::kInt64;
    case ElementType::Int32: return torch::kInt32;
    case ElementType::Int16: return torch::kInt16;
    case ElementType::Int8: return torch::kInt8;
    case ElementType::UInt8: return torch::kUInt8;
    case ElementType::Bool: return torch::kBool;
  }
  throw FormatError("unknown element type");
}

uint64_t tensor_byte_size(ElementType type, const std::vector<int64_t>& sizes) {
  uint64_t numel = 1;
  for (const int64_t size : sizes) {
    if (size < 0) throw FormatError("negative tensor size");
    numel = checked_multiply(numel, static_cast<uint64_t>(size), "tensor element count");
  }
  return checked_multiply(numel, element_size(type), "tensor byte size");
}

torch::Tensor allocate_tensor(ElementType type, const std::vector<int64_t>& sizes) {
  const uint64_t bytes = tensor_byte_size(type, sizes);
  try {
    return torch::empty(sizes, torch::TensorOptions().dtype(to_scalar_type(type)).device(torch::kCPU));
  } catch (const std::bad_alloc&) {
  } catch (const c10::Error&) {
  }
  throw FormatError("cannot allocate " + std::to_string(bytes) + " bytes for a tensor");
}

void check_bool_values(const torch::Tensor& tensor) {
  if (tensor.scalar_type() != torch::kBool || tensor.numel() == 0) return;
  const auto* bytes = static_cast<const uint8_t*>(tensor.data_ptr());
  for (int64_t i = 0; i < tensor.numel(); ++i) {
    if (bytes[i] > 1) throw FormatError("bool tensor holds a byte other than 0 or 1");
  }
}

}  // namespace shape::checkpoint_detail
