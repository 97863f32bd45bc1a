// Error handling for Vulkan calls: every call that returns a VkResult goes through VK_CHECK, which
// throws VulkanError naming the call, the result and the source line.
#pragma once

#include <vulkan/vulkan.h>

#include <stdexcept>
#include <string>

namespace shape::render {

// "VK_ERROR_OUT_OF_DATE_KHR" etc.; "VkResult(<n>)" for values this header does not know.
std::string vk_result_name(VkResult result);

class VulkanError : public std::runtime_error {
 public:
  VulkanError(VkResult result, const std::string& what);
  VkResult result() const { return result_; }

 private:
  VkResult result_;
};

[[noreturn]] void throw_vulkan_error(VkResult result, const char* call, const char* file, int line);

}  // namespace shape::render

// Only VK_SUCCESS passes; calls with other non-error results (VK_SUBOPTIMAL_KHR, VK_TIMEOUT) are
// handled explicitly where they can occur.
#define VK_CHECK(call)                                                               \
  do {                                                                               \
    const VkResult vk_check_result_ = (call);                                        \
    if (vk_check_result_ != VK_SUCCESS)                                              \
      ::shape::render::throw_vulkan_error(vk_check_result_, #call, __FILE__, __LINE__); \
  } while (false)
