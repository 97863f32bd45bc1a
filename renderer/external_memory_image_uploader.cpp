#include "renderer/external_memory_image_uploader.h"

#include "renderer/external_interop_support.h"

#include <stdexcept>

namespace shape::render {

ExternalMemoryImageUploader::ExternalMemoryImageUploader(VulkanContext& context, VkDeviceSize capacity_bytes,
                                                         ProducerSync sync)
    : buffer_(context, capacity_bytes, kSharedPixelBufferUsage) {
  if (sync == ProducerSync::TimelineSemaphore) semaphore_.emplace(context);
}

uint8_t* ExternalMemoryImageUploader::begin_write(uint32_t width, uint32_t height) {
  if (width == 0 || height == 0) throw std::invalid_argument("ExternalMemoryImageUploader: empty image");
  if (VkDeviceSize{width} * height * 4 > buffer_.size()) {
    throw std::length_error("ExternalMemoryImageUploader: image larger than the shared buffer");
  }
  width_ = width;
  height_ = height;
  if (semaphore_) ++pending_value_;
  return nullptr;
}

PixelSource ExternalMemoryImageUploader::end_write() {
  if (width_ == 0) throw std::logic_error("ExternalMemoryImageUploader: end_write without begin_write");
  PixelSource source;
  source.buffer = buffer_.handle();
  source.width = width_;
  source.height = height_;
  if (semaphore_) source.wait = SubmitWait{semaphore_->handle(), pending_value_, VK_PIPELINE_STAGE_TRANSFER_BIT};
  return source;
}

}  // namespace shape::render
