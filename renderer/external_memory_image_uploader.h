// The zero-copy path of ImageUploader: the pixels are written by a device (CUDA) straight into an
// exportable Vulkan buffer, and ImageDisplay copies that buffer into the texture (buffer → image, no
// host copy). Knows Vulkan only; app/gpu_interop/ imports buffer().export_fd() and
// semaphore()->export_fd() into CUDA.
//
// Producer protocol, one frame:
//   uploader.begin_write(w, h);                     // nullptr: the memory is written by the device
//   ... write w*h*4 RGBA8 bytes at the start of the imported buffer on a CUDA stream,
//   ... then signal the imported timeline semaphore to uploader.pending_value() on that stream
//   display.update_from(uploader.end_write());      // the copy waits for that value on the GPU
// update_from returns after the copy has finished (immediate_submit waits for its fence), so the
// producer may write the next frame without waiting for Vulkan.
//
// Without a semaphore (ProducerSync::WritesFinishedBeforeEndWrite) the producer must have finished
// its writes before end_write (e.g. cudaStreamSynchronize): that is how the Vulkan half is tested on
// lavapipe, which cannot export semaphores.
#pragma once

#include "renderer/exportable_buffer.h"
#include "renderer/exportable_semaphore.h"
#include "renderer/image_uploader.h"

#include <cstdint>
#include <optional>

namespace shape::render {

enum class ProducerSync {
  TimelineSemaphore,             // the producer signals semaphore() to pending_value()
  WritesFinishedBeforeEndWrite,  // no semaphore: writes are complete when end_write is called
};

class ExternalMemoryImageUploader final : public ImageUploader {
 public:
  // capacity_bytes: the largest image it takes (4 × width × height); fixed, because the producer
  // imports the buffer once and a new buffer would need a new import.
  ExternalMemoryImageUploader(VulkanContext& context, VkDeviceSize capacity_bytes, ProducerSync sync);

  // Always nullptr: the producer writes through its own mapping of buffer(). Throws
  // std::length_error when the image does not fit in the capacity.
  uint8_t* begin_write(uint32_t width, uint32_t height) override;
  PixelSource end_write() override;

  const ExportableBuffer& buffer() const { return buffer_; }
  // Null with ProducerSync::WritesFinishedBeforeEndWrite.
  const ExportableSemaphore* semaphore() const { return semaphore_ ? &*semaphore_ : nullptr; }
  // The timeline value the producer signals when the frame begun last is written.
  uint64_t pending_value() const { return pending_value_; }

 private:
  ExportableBuffer buffer_;
  std::optional<ExportableSemaphore> semaphore_;
  uint64_t pending_value_ = 0;
  uint32_t width_ = 0;
  uint32_t height_ = 0;
};

}  // namespace shape::render
