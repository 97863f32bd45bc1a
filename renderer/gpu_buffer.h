// A VkBuffer with its own memory allocation (move-only, freed on destruction). The app has a
// handful of buffers (mesh, staging, read-back), so one allocation each keeps things simple and
// matches what a dedicated, exportable CUDA interop buffer needs later.
#pragma once

#include <vulkan/vulkan.h>

#include <cstddef>

namespace shape::render {

class VulkanContext;

enum class BufferMemory {
  DeviceLocal,   // fastest for the GPU; filled through a staging copy
  HostUpload,    // host-visible + coherent, persistently mapped: CPU writes, GPU reads
  HostReadback,  // host-visible (cached when possible), persistently mapped: GPU writes, CPU reads
};

class GpuBuffer {
 public:
  GpuBuffer() = default;
  GpuBuffer(VulkanContext& context, VkDeviceSize size, VkBufferUsageFlags usage, BufferMemory memory);
  ~GpuBuffer();
  GpuBuffer(GpuBuffer&& other) noexcept;
  GpuBuffer& operator=(GpuBuffer&& other) noexcept;
  GpuBuffer(const GpuBuffer&) = delete;
  GpuBuffer& operator=(const GpuBuffer&) = delete;

  VkBuffer handle() const { return buffer_; }
  VkDeviceSize size() const { return size_; }
  explicit operator bool() const { return buffer_ != VK_NULL_HANDLE; }
  // Host pointer for HostUpload / HostReadback buffers, nullptr for DeviceLocal.
  void* mapped() const { return mapped_; }

  // Copies `bytes` into a HostUpload buffer at `offset` (and flushes if the memory is not coherent).
  void write(const void* data, std::size_t bytes, VkDeviceSize offset = 0);
  // Makes GPU writes visible to mapped() reads (a no-op on coherent memory).
  void invalidate_for_host_read();

 private:
  void release();

  VkDevice device_ = VK_NULL_HANDLE;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  VkDeviceSize size_ = 0;
  void* mapped_ = nullptr;
  bool coherent_ = true;
};

}  // namespace shape::render
