// vk_struct<T>(sType): a zero-initialised Vulkan info struct with its sType set. Equivalent to
// `T x{sType};` without -Wmissing-field-initializers noise for every struct.
#pragma once

#include <vulkan/vulkan.h>

namespace shape::render {

template <typename T>
T vk_struct(VkStructureType type) {
  T value{};
  value.sType = type;
  return value;
}

}  // namespace shape::render
