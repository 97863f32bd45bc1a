// A timeline VkSemaphore another API can import as an opaque POSIX fd
// (VK_KHR_external_semaphore_fd): CUDA signals value N on its stream when frame N is written, and
// the Vulkan copy waits for N (SubmitWait{handle(), N}). Move-only.
#pragma once

#include <vulkan/vulkan.h>

namespace shape::render {

class VulkanContext;

class ExportableSemaphore {
 public:
  ExportableSemaphore() = default;
  // Throws std::runtime_error when the device cannot export timeline semaphores as fds (see
  // ExternalInteropSupport::semaphore_fd_export; lavapipe cannot).
  explicit ExportableSemaphore(VulkanContext& context);
  ~ExportableSemaphore();
  ExportableSemaphore(ExportableSemaphore&& other) noexcept;
  ExportableSemaphore& operator=(ExportableSemaphore&& other) noexcept;
  ExportableSemaphore(const ExportableSemaphore&) = delete;
  ExportableSemaphore& operator=(const ExportableSemaphore&) = delete;

  VkSemaphore handle() const { return semaphore_; }
  explicit operator bool() const { return semaphore_ != VK_NULL_HANDLE; }

  // A new fd owned by the caller; the importer (cudaImportExternalSemaphore) takes ownership.
  int export_fd() const;

 private:
  void release();

  VkDevice device_ = VK_NULL_HANDLE;
  VkSemaphore semaphore_ = VK_NULL_HANDLE;
  PFN_vkGetSemaphoreFdKHR get_semaphore_fd_ = nullptr;
};

}  // namespace shape::render
