#include "renderer/exportable_semaphore.h"

#include "renderer/external_interop_support.h"
#include "renderer/vk_check.h"
#include "renderer/vk_struct.h"
#include "renderer/vulkan_context.h"

#include <stdexcept>
#include <utility>

namespace shape::render {

ExportableSemaphore::ExportableSemaphore(VulkanContext& context) : device_(context.device()) {
  if (!query_external_interop_support(context).semaphore_fd_export) {
    throw std::runtime_error(
        "ExportableSemaphore: the device cannot export timeline semaphores as fds (VK_KHR_external_semaphore_fd)");
  }
  get_semaphore_fd_ =
      reinterpret_cast<PFN_vkGetSemaphoreFdKHR>(vkGetDeviceProcAddr(device_, "vkGetSemaphoreFdKHR"));
  if (!get_semaphore_fd_) throw std::runtime_error("ExportableSemaphore: vkGetSemaphoreFdKHR is unavailable");

  auto export_info = vk_struct<VkExportSemaphoreCreateInfo>(VK_STRUCTURE_TYPE_EXPORT_SEMAPHORE_CREATE_INFO);
  export_info.handleTypes = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT;
  auto type = vk_struct<VkSemaphoreTypeCreateInfo>(VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO);
  type.pNext = &export_info;
  type.semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE;
  type.initialValue = 0;
  auto info = vk_struct<VkSemaphoreCreateInfo>(VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO);
  info.pNext = &type;
  VK_CHECK(vkCreateSemaphore(device_, &info, nullptr, &semaphore_));
}

ExportableSemaphore::~ExportableSemaphore() { release(); }

ExportableSemaphore::ExportableSemaphore(ExportableSemaphore&& other) noexcept { *this = std::move(other); }

ExportableSemaphore& ExportableSemaphore::operator=(ExportableSemaphore&& other) noexcept {
  if (this != &other) {
    release();
    device_ = std::exchange(other.device_, VK_NULL_HANDLE);
    semaphore_ = std::exchange(other.semaphore_, VK_NULL_HANDLE);
    get_semaphore_fd_ = std::exchange(other.get_semaphore_fd_, nullptr);
  }
  return *this;
}

void ExportableSemaphore::release() {
  if (semaphore_) vkDestroySemaphore(device_, semaphore_, nullptr);
  semaphore_ = VK_NULL_HANDLE;
}

int ExportableSemaphore::export_fd() const {
  if (!semaphore_) throw std::logic_error("ExportableSemaphore::export_fd on an empty semaphore");
  auto info = vk_struct<VkSemaphoreGetFdInfoKHR>(VK_STRUCTURE_TYPE_SEMAPHORE_GET_FD_INFO_KHR);
  info.semaphore = semaphore_;
  info.handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT;
  int fd = -1;
  VK_CHECK(get_semaphore_fd_(device_, &info, &fd));
  return fd;
}

}  // namespace shape::render
