#include "renderer/capture.h"

#include "renderer/vulkan_context.h"
#include "renderer/vk_struct.h"

#include <stb/stb_image_write.h>

#include <cstring>
#include <stdexcept>

namespace shape::render {

std::array<uint8_t, 4> RgbaImage::at(uint32_t x, uint32_t y) const {
  if (x >= width || y >= height) throw std::out_of_range("RgbaImage::at outside the image");
  const uint8_t* p = pixels.data() + (static_cast<std::size_t>(y) * width + x) * 4;
  return {p[0], p[1], p[2], p[3]};
}

void write_png(const std::string& path, const RgbaImage& image) {
  if (image.empty() || image.pixels.size() != static_cast<std::size_t>(image.width) * image.height * 4) {
    throw std::invalid_argument("write_png: image is empty or its pixel count is wrong");
  }
  if (!stbi_write_png(path.c_str(), static_cast<int>(image.width), static_cast<int>(image.height), 4,
                      image.pixels.data(), static_cast<int>(image.width * 4))) {
    throw std::runtime_error("could not write PNG " + path);
  }
}

bool is_capturable_format(VkFormat format) {
  switch (format) {
    case VK_FORMAT_R8G8B8A8_UNORM:
    case VK_FORMAT_R8G8B8A8_SRGB:
    case VK_FORMAT_B8G8R8A8_UNORM:
    case VK_FORMAT_B8G8R8A8_SRGB:
      return true;
    default:
      return false;
  }
}

ImageReadback::ImageReadback(VulkanContext& context, VkExtent2D extent, VkFormat format)
    : extent_(extent), format_(format) {
  if (!is_capturable_format(format)) throw std::invalid_argument("ImageReadback: unsupported colour format");
  buffer_ = GpuBuffer(context, VkDeviceSize{extent.width} * extent.height * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                      BufferMemory::HostReadback);
}

void ImageReadback::record_copy(VkCommandBuffer cmd, VkImage image) const {
  VkBufferImageCopy region{};
  region.bufferOffset = 0;
  region.bufferRowLength = 0;  // tightly packed
  region.bufferImageHeight = 0;
  region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
  region.imageOffset = {0, 0, 0};
  region.imageExtent = {extent_.width, extent_.height, 1};
  vkCmdCopyImageToBuffer(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, buffer_.handle(), 1, &region);
  // Make the transfer writes available to the host once the submission's fence signals.
  auto to_host = vk_struct<VkBufferMemoryBarrier>(VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER);
  to_host.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  to_host.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  to_host.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  to_host.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  to_host.buffer = buffer_.handle();
  to_host.offset = 0;
  to_host.size = VK_WHOLE_SIZE;
  vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 0, nullptr, 1, &to_host,
                       0, nullptr);
}

RgbaImage ImageReadback::read(bool force_opaque) {
  buffer_.invalidate_for_host_read();
  RgbaImage image;
  image.width = extent_.width;
  image.height = extent_.height;
  image.pixels.resize(static_cast<std::size_t>(extent_.width) * extent_.height * 4);
  std::memcpy(image.pixels.data(), buffer_.mapped(), image.pixels.size());
  const bool bgra = format_ == VK_FORMAT_B8G8R8A8_UNORM || format_ == VK_FORMAT_B8G8R8A8_SRGB;
  for (std::size_t i = 0; i < image.pixels.size(); i += 4) {
    if (bgra) std::swap(image.pixels[i], image.pixels[i + 2]);
    if (force_opaque) image.pixels[i + 3] = 255;
  }
  return image;
}

}  // namespace shape::render
