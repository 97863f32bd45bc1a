#include "renderer/gpu_buffer.h"

#include "renderer/vk_check.h"
#include "renderer/vk_struct.h"
#include "renderer/vulkan_context.h"

#include <cstring>
#include <stdexcept>
#include <utility>

namespace shape::render {

GpuBuffer::GpuBuffer(VulkanContext& context, VkDeviceSize size, VkBufferUsageFlags usage, BufferMemory memory)
    : device_(context.device()), size_(size) {
  if (size == 0) throw std::invalid_argument("GpuBuffer: size must be positive");
  auto info = vk_struct<VkBufferCreateInfo>(VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO);
  info.size = size;
  info.usage = usage;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VK_CHECK(vkCreateBuffer(device_, &info, nullptr, &buffer_));
  try {
    VkMemoryRequirements requirements;
    vkGetBufferMemoryRequirements(device_, buffer_, &requirements);
    uint32_t type = 0;
    switch (memory) {
      case BufferMemory::DeviceLocal:
        type = context.find_memory_type(requirements.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
        break;
      case BufferMemory::HostUpload:
        type = context.find_memory_type(requirements.memoryTypeBits,
                                        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
        break;
      case BufferMemory::HostReadback:
        type = context.find_memory_type(requirements.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT,
                                        VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
        break;
    }
    coherent_ = (context.memory_type_flags(type) & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) != 0;
    auto allocate = vk_struct<VkMemoryAllocateInfo>(VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO);
    allocate.allocationSize = requirements.size;
    allocate.memoryTypeIndex = type;
    VK_CHECK(vkAllocateMemory(device_, &allocate, nullptr, &memory_));
    VK_CHECK(vkBindBufferMemory(device_, buffer_, memory_, 0));
    if (memory != BufferMemory::DeviceLocal) VK_CHECK(vkMapMemory(device_, memory_, 0, VK_WHOLE_SIZE, 0, &mapped_));
  } catch (...) {
    release();
    throw;
  }
}

GpuBuffer::~GpuBuffer() { release(); }

GpuBuffer::GpuBuffer(GpuBuffer&& other) noexcept { *this = std::move(other); }

GpuBuffer& GpuBuffer::operator=(GpuBuffer&& other) noexcept {
  if (this != &other) {
    release();
    device_ = std::exchange(other.device_, VK_NULL_HANDLE);
    buffer_ = std::exchange(other.buffer_, VK_NULL_HANDLE);
    memory_ = std::exchange(other.memory_, VK_NULL_HANDLE);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, nullptr);
    coherent_ = other.coherent_;
  }
  return *this;
}

void GpuBuffer::release() {
  if (mapped_) vkUnmapMemory(device_, memory_);
  if (buffer_) vkDestroyBuffer(device_, buffer_, nullptr);
  if (memory_) vkFreeMemory(device_, memory_, nullptr);
  mapped_ = nullptr;
  buffer_ = VK_NULL_HANDLE;
  memory_ = VK_NULL_HANDLE;
  size_ = 0;
}

void GpuBuffer::write(const void* data, std::size_t bytes, VkDeviceSize offset) {
  if (!mapped_) throw std::logic_error("GpuBuffer::write: buffer is not host-visible");
  if (offset + bytes > size_) throw std::out_of_range("GpuBuffer::write past the end of the buffer");
  std::memcpy(static_cast<char*>(mapped_) + offset, data, bytes);
  if (!coherent_) {
    auto range = vk_struct<VkMappedMemoryRange>(VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE);
    range.memory = memory_;
    range.offset = 0;
    range.size = VK_WHOLE_SIZE;
    VK_CHECK(vkFlushMappedMemoryRanges(device_, 1, &range));
  }
}

void GpuBuffer::invalidate_for_host_read() {
  if (!mapped_ || coherent_) return;
  auto range = vk_struct<VkMappedMemoryRange>(VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE);
  range.memory = memory_;
  range.offset = 0;
  range.size = VK_WHOLE_SIZE;
  VK_CHECK(vkInvalidateMappedMemoryRanges(device_, 1, &range));
}

}  // namespace shape::render
