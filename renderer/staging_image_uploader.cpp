#include "renderer/staging_image_uploader.h"

#include <stdexcept>

namespace shape::render {

uint8_t* StagingImageUploader::begin_write(uint32_t width, uint32_t height) {
  if (width == 0 || height == 0) throw std::invalid_argument("StagingImageUploader: empty image");
  const VkDeviceSize bytes = VkDeviceSize{width} * height * 4;
  // Copies out of the buffer complete inside immediate_submit, so it is free to reuse or replace here.
  if (!staging_ || staging_.size() < bytes) {
    staging_ = GpuBuffer(context_, bytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, BufferMemory::HostUpload);
  }
  width_ = width;
  height_ = height;
  return static_cast<uint8_t*>(staging_.mapped());
}

PixelSource StagingImageUploader::end_write() {
  if (!staging_ || width_ == 0) throw std::logic_error("StagingImageUploader: end_write without begin_write");
  PixelSource source;
  source.buffer = staging_.handle();
  source.width = width_;
  source.height = height_;
  return source;
}

}  // namespace shape::render
