// The CPU path of ImageUploader: a persistently mapped host-visible staging buffer that grows to the
// largest image seen (a 1024² preview is 4 MiB).
#pragma once

#include "renderer/gpu_buffer.h"
#include "renderer/image_uploader.h"

namespace shape::render {

class StagingImageUploader final : public ImageUploader {
 public:
  explicit StagingImageUploader(VulkanContext& context) : context_(context) {}

  uint8_t* begin_write(uint32_t width, uint32_t height) override;
  PixelSource end_write() override;

 private:
  VulkanContext& context_;
  GpuBuffer staging_;
  uint32_t width_ = 0;
  uint32_t height_ = 0;
};

}  // namespace shape::render
