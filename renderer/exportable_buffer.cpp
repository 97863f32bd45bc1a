#include "renderer/exportable_buffer.h"

#include "renderer/vk_check.h"
#include "renderer/vk_struct.h"
#include "renderer/vulkan_context.h"

#include <stdexcept>
#include <utility>

namespace shape::render {

ExportableBuffer::ExportableBuffer(VulkanContext& context, VkDeviceSize size, VkBufferUsageFlags usage)
    : device_(context.device()), size_(size) {
  if (size == 0) throw std::invalid_argument("ExportableBuffer: size must be positive");
  if (!context.device_info().external_memory_fd) {
    throw std::runtime_error("ExportableBuffer: VK_KHR_external_memory_fd is not enabled on this device");
  }
  // An extension function: the loader does not export it, the device hands it out.
  get_memory_fd_ = reinterpret_cast<PFN_vkGetMemoryFdKHR>(vkGetDeviceProcAddr(device_, "vkGetMemoryFdKHR"));
  if (!get_memory_fd_) throw std::runtime_error("ExportableBuffer: vkGetMemoryFdKHR is unavailable");

  auto external_info = vk_struct<VkExternalMemoryBufferCreateInfo>(VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO);
  external_info.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
  auto info = vk_struct<VkBufferCreateInfo>(VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO);
  info.pNext = &external_info;
  info.size = size;
  info.usage = usage;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VK_CHECK(vkCreateBuffer(device_, &info, nullptr, &buffer_));
  try {
    VkMemoryRequirements requirements;
    vkGetBufferMemoryRequirements(device_, buffer_, &requirements);
    const uint32_t type = context.find_memory_type(requirements.memoryTypeBits, 0, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    memory_flags_ = context.memory_type_flags(type);
    allocation_size_ = requirements.size;

    // Dedicated: CUDA imports the whole allocation (cudaExternalMemoryDedicated) and some drivers
    // export buffers only that way.
    auto dedicated = vk_struct<VkMemoryDedicatedAllocateInfo>(VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO);
    dedicated.buffer = buffer_;
    auto export_info = vk_struct<VkExportMemoryAllocateInfo>(VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO);
    export_info.pNext = &dedicated;
    export_info.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
    auto allocate = vk_struct<VkMemoryAllocateInfo>(VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO);
    allocate.pNext = &export_info;
    allocate.allocationSize = requirements.size;
    allocate.memoryTypeIndex = type;
    VK_CHECK(vkAllocateMemory(device_, &allocate, nullptr, &memory_));
    VK_CHECK(vkBindBufferMemory(device_, buffer_, memory_, 0));
  } catch (...) {
    release();
    throw;
  }
}

ExportableBuffer::~ExportableBuffer() { release(); }

ExportableBuffer::ExportableBuffer(ExportableBuffer&& other) noexcept { *this = std::move(other); }

ExportableBuffer& ExportableBuffer::operator=(ExportableBuffer&& other) noexcept {
  if (this != &other) {
    release();
    device_ = std::exchange(other.device_, VK_NULL_HANDLE);
    buffer_ = std::exchange(other.buffer_, VK_NULL_HANDLE);
    memory_ = std::exchange(other.memory_, VK_NULL_HANDLE);
    size_ = std::exchange(other.size_, 0);
    allocation_size_ = std::exchange(other.allocation_size_, 0);
    memory_flags_ = std::exchange(other.memory_flags_, 0);
    get_memory_fd_ = std::exchange(other.get_memory_fd_, nullptr);
  }
  return *this;
}

void ExportableBuffer::release() {
  if (buffer_) vkDestroyBuffer(device_, buffer_, nullptr);
  if (memory_) vkFreeMemory(device_, memory_, nullptr);
  buffer_ = VK_NULL_HANDLE;
  memory_ = VK_NULL_HANDLE;
  size_ = 0;
  allocation_size_ = 0;
}

int ExportableBuffer::export_fd() const {
  if (!memory_) throw std::logic_error("ExportableBuffer::export_fd on an empty buffer");
  auto info = vk_struct<VkMemoryGetFdInfoKHR>(VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR);
  info.memory = memory_;
  info.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
  int fd = -1;
  VK_CHECK(get_memory_fd_(device_, &info, &fd));
  return fd;
}

}  // namespace shape::render
