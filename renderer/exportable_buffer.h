// A VkBuffer in its own dedicated allocation that another API (CUDA, through cudaImportExternalMemory)
// can import as an opaque POSIX fd (VK_KHR_external_memory_fd). Device-local when the driver offers
// it. Move-only; the memory lives until this object and every importer have released it.
#pragma once

#include <vulkan/vulkan.h>

namespace shape::render {

class VulkanContext;

class ExportableBuffer {
 public:
  ExportableBuffer() = default;
  // Throws std::runtime_error when the device cannot export such a buffer (see
  // ExternalInteropSupport::memory_fd_export).
  ExportableBuffer(VulkanContext& context, VkDeviceSize size, VkBufferUsageFlags usage);
  ~ExportableBuffer();
  ExportableBuffer(ExportableBuffer&& other) noexcept;
  ExportableBuffer& operator=(ExportableBuffer&& other) noexcept;
  ExportableBuffer(const ExportableBuffer&) = delete;
  ExportableBuffer& operator=(const ExportableBuffer&) = delete;

  VkBuffer handle() const { return buffer_; }
  VkDeviceSize size() const { return size_; }
  // Size of the whole allocation (>= size()): what an importer must pass as the memory's size.
  VkDeviceSize allocation_size() const { return allocation_size_; }
  VkMemoryPropertyFlags memory_flags() const { return memory_flags_; }
  explicit operator bool() const { return buffer_ != VK_NULL_HANDLE; }

  // A new fd referring to the memory, owned by the caller: the importer takes ownership on success
  // (cudaImportExternalMemory does), otherwise the caller closes it.
  int export_fd() const;

 private:
  void release();

  VkDevice device_ = VK_NULL_HANDLE;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  VkDeviceSize size_ = 0;
  VkDeviceSize allocation_size_ = 0;
  VkMemoryPropertyFlags memory_flags_ = 0;
  PFN_vkGetMemoryFdKHR get_memory_fd_ = nullptr;
};

}  // namespace shape::render
