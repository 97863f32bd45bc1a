#include "inference/checkpoint/element_type.h"

#include <array>

namespace shape::checkpoint_detail {
namespace {

struct ElementTypeInfo {
  ElementType type;
  size_t size;
  std::string_view name;
  std::string_view torch_storage;
  std::string_view safetensors_dtype;
};

constexpr std::array<ElementTypeInfo, 10> kElementTypes{{
    {ElementType::Float32, 4, "float32", "FloatStorage", "F32"},
    {ElementType::Float16, 2, "float16", "HalfStorage", "F16"},
    {ElementType::BFloat16, 2, "bfloat16", "BFloat16Storage", "BF16"},
    {ElementType::Float64, 8, "float64", "DoubleStorage", "F64"},
    {ElementType::Int64, 8, "int64", "LongStorage", "I64"},
    {ElementType::Int32, 4, "int32", "IntStorage", "I32"},
    {ElementType::Int16, 2, "int16", "ShortStorage", "I16"},
    {ElementType::Int8, 1, "int8", "CharStorage", "I8"},
    {ElementType::UInt8, 1, "uint8", "ByteStorage", "U8"},
    {ElementType::Bool, 1, "bool", "BoolStorage", "BOOL"},
}};

const ElementTypeInfo& info(ElementType type) {
  for (const auto& entry : kElementTypes) {
    if (entry.type == type) return entry;
  }
  return kElementTypes[0];  // unreachable: every enumerator is in the table
}

}  // namespace

size_t element_size(ElementType type) { return info(type).size; }

std::string_view element_type_name(ElementType type) { return info(type).name; }

std::optional<ElementType> element_type_from_torch_storage(std::string_view storage_class) {
  for (const auto& entry : kElementTypes) {
    if (entry.torch_storage == storage_class) return entry.type;
  }
  return std::nullopt;
}

std::optional<ElementType> element_type_from_safetensors(std::string_view dtype) {
  for (const auto& entry : kElementTypes) {
    if (entry.safetensors_dtype == dtype) return entry.type;
  }
  return std::nullopt;
}

}  // namespace shape::checkpoint_detail
