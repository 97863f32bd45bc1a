// How preview pixels reach the display texture. The producer writes tightly packed RGBA8 pixels
// (row-major, top row first) into a buffer the uploader owns; ImageDisplay then records the
// buffer → image copy with the layout transitions around it.
//
//   uint8_t* dst = uploader.begin_write(w, h);   // host pointer, or nullptr for device memory
//   ... write w*h*4 bytes (CPU memcpy, or a CUDA kernel into the exported memory) ...
//   display.update_from(uploader.end_write());
//
// StagingImageUploader: host-visible buffer, CPU writes. ExternalMemoryImageUploader: the CUDA-Vulkan
// zero-copy path; an exportable device-local VkBuffer (VK_KHR_external_memory_fd, dedicated
// allocation) that CUDA imports and LibTorch writes into; begin_write returns nullptr (the producer
// uses its own CUDA pointer), and end_write returns the buffer plus the timeline semaphore value CUDA
// signals when its stream is done. choose_image_uploader (uploader_selection.h) picks one.
#pragma once

#include "renderer/vulkan_context.h"

#include <vulkan/vulkan.h>

#include <cstdint>

namespace shape::render {

// A filled RGBA8 pixel buffer, ready to be copied into an image.
struct PixelSource {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceSize offset = 0;
  uint32_t width = 0;
  uint32_t height = 0;
  // Semaphore the copy must wait for (a device producer such as CUDA); none for host writes,
  // which vkQueueSubmit makes visible by itself.
  SubmitWait wait;
};

class ImageUploader {
 public:
  virtual ~ImageUploader() = default;

  // Makes room for width × height RGBA8 pixels. Returns where the producer writes them when that is
  // host memory, nullptr when the memory is written by a device through its own mapping.
  virtual uint8_t* begin_write(uint32_t width, uint32_t height) = 0;
  // The producer is done; the buffer stays valid until the next begin_write.
  virtual PixelSource end_write() = 0;
};

}  // namespace shape::render
