// Reading rendered pixels back to the CPU and saving them as PNG (offscreen renders, screenshots).
#pragma once

#include "renderer/gpu_buffer.h"

#include <vulkan/vulkan.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace shape::render {

class VulkanContext;

// 8-bit RGBA pixels, row-major, top row first, 4 bytes per pixel, no padding.
struct RgbaImage {
  uint32_t width = 0;
  uint32_t height = 0;
  std::vector<uint8_t> pixels;

  bool empty() const { return width == 0 || height == 0; }
  std::array<uint8_t, 4> at(uint32_t x, uint32_t y) const;
};

// Throws std::runtime_error if the file cannot be written.
void write_png(const std::string& path, const RgbaImage& image);

// Whether read-back understands this colour format (8-bit RGBA or BGRA, UNORM or SRGB).
bool is_capturable_format(VkFormat format);

// A host-visible buffer sized for one colour image, plus the commands that fill it. Record the copy
// where the image is in TRANSFER_SRC_OPTIMAL layout, wait for the submission, then call read().
class ImageReadback {
 public:
  ImageReadback(VulkanContext& context, VkExtent2D extent, VkFormat format);

  void record_copy(VkCommandBuffer cmd, VkImage image) const;
  // BGRA is swizzled to RGBA; force_opaque sets alpha to 255 (screen captures).
  RgbaImage read(bool force_opaque = false);

 private:
  VkExtent2D extent_;
  VkFormat format_;
  GpuBuffer buffer_;
};

}  // namespace shape::render
