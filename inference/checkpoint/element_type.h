// Element types a checkpoint may store, independent of LibTorch so the parsers can name them.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace shape::checkpoint_detail {

enum class ElementType { Float32, Float16, BFloat16, Float64, Int64, Int32, Int16, Int8, UInt8, Bool };

size_t element_size(ElementType type);
// Lower-case torch name, e.g. "float32", for messages.
std::string_view element_type_name(ElementType type);
// The class name in a torch pickle's GLOBAL `torch <Name>`, e.g. "FloatStorage".
std::optional<ElementType> element_type_from_torch_storage(std::string_view storage_class);
// The safetensors dtype code, e.g. "F32".
std::optional<ElementType> element_type_from_safetensors(std::string_view dtype);

}  // namespace shape::checkpoint_detail
