#include "renderer/gpu_image.h"

#include "renderer/vk_check.h"
#include "renderer/vk_struct.h"
#include "renderer/vulkan_context.h"

#include <stdexcept>
#include <utility>

namespace shape::render {

GpuImage::GpuImage(VulkanContext& context, const ImageSpec& spec) : device_(context.device()), spec_(spec) {
  if (spec.extent.width == 0 || spec.extent.height == 0) throw std::invalid_argument("GpuImage: empty extent");
  auto info = vk_struct<VkImageCreateInfo>(VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO);
  info.imageType = VK_IMAGE_TYPE_2D;
  info.format = spec.format;
  info.extent = {spec.extent.width, spec.extent.height, 1};
  info.mipLevels = 1;
  info.arrayLayers = 1;
  info.samples = VK_SAMPLE_COUNT_1_BIT;
  info.tiling = VK_IMAGE_TILING_OPTIMAL;
  info.usage = spec.usage;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  info.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
  VK_CHECK(vkCreateImage(device_, &info, nullptr, &image_));
  try {
    VkMemoryRequirements requirements;
    vkGetImageMemoryRequirements(device_, image_, &requirements);
    auto allocate = vk_struct<VkMemoryAllocateInfo>(VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO);
    allocate.allocationSize = requirements.size;
    allocate.memoryTypeIndex =
        context.find_memory_type(requirements.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    VK_CHECK(vkAllocateMemory(device_, &allocate, nullptr, &memory_));
    VK_CHECK(vkBindImageMemory(device_, image_, memory_, 0));

    auto view_info = vk_struct<VkImageViewCreateInfo>(VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO);
    view_info.image = image_;
    view_info.viewType = VK_IMAGE_VIEW_TYPE_2D;
    view_info.format = spec.format;
    view_info.subresourceRange = {spec.aspect, 0, 1, 0, 1};
    VK_CHECK(vkCreateImageView(device_, &view_info, nullptr, &view_));
  } catch (...) {
    release();
    throw;
  }
}

GpuImage::~GpuImage() { release(); }

GpuImage::GpuImage(GpuImage&& other) noexcept { *this = std::move(other); }

GpuImage& GpuImage::operator=(GpuImage&& other) noexcept {
  if (this != &other) {
    release();
    device_ = std::exchange(other.device_, VK_NULL_HANDLE);
    spec_ = other.spec_;
    image_ = std::exchange(other.image_, VK_NULL_HANDLE);
    memory_ = std::exchange(other.memory_, VK_NULL_HANDLE);
    view_ = std::exchange(other.view_, VK_NULL_HANDLE);
  }
  return *this;
}

void GpuImage::release() {
  if (view_) vkDestroyImageView(device_, view_, nullptr);
  if (image_) vkDestroyImage(device_, image_, nullptr);
  if (memory_) vkFreeMemory(device_, memory_, nullptr);
  view_ = VK_NULL_HANDLE;
  image_ = VK_NULL_HANDLE;
  memory_ = VK_NULL_HANDLE;
}

void transition_image(VkCommandBuffer cmd, VkImage image, VkImageAspectFlags aspect, const LayoutTransition& t) {
  auto barrier = vk_struct<VkImageMemoryBarrier>(VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER);
  barrier.srcAccessMask = t.src_access;
  barrier.dstAccessMask = t.dst_access;
  barrier.oldLayout = t.old_layout;
  barrier.newLayout = t.new_layout;
  barrier.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  barrier.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  barrier.image = image;
  barrier.subresourceRange = {aspect, 0, 1, 0, 1};
  vkCmdPipelineBarrier(cmd, t.src_stage, t.dst_stage, 0, 0, nullptr, 0, nullptr, 1, &barrier);
}

VkImageAspectFlags depth_aspect(VkFormat depth_format) {
  switch (depth_format) {
    case VK_FORMAT_D16_UNORM_S8_UINT:
    case VK_FORMAT_D24_UNORM_S8_UINT:
    case VK_FORMAT_D32_SFLOAT_S8_UINT:
      return VK_IMAGE_ASPECT_DEPTH_BIT | VK_IMAGE_ASPECT_STENCIL_BIT;
    default:
      return VK_IMAGE_ASPECT_DEPTH_BIT;
  }
}

}  // namespace shape::render
