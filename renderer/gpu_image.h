// A 2D device-local VkImage with its memory and a view (move-only, freed on destruction), plus the
// layout-transition barrier helper the uploads and read-backs use.
#pragma once

#include <vulkan/vulkan.h>

namespace shape::render {

class VulkanContext;

struct ImageSpec {
  VkExtent2D extent{0, 0};
  VkFormat format = VK_FORMAT_R8G8B8A8_UNORM;
  VkImageUsageFlags usage = 0;
  VkImageAspectFlags aspect = VK_IMAGE_ASPECT_COLOR_BIT;
};

class GpuImage {
 public:
  GpuImage() = default;
  GpuImage(VulkanContext& context, const ImageSpec& spec);
  ~GpuImage();
  GpuImage(GpuImage&& other) noexcept;
  GpuImage& operator=(GpuImage&& other) noexcept;
  GpuImage(const GpuImage&) = delete;
  GpuImage& operator=(const GpuImage&) = delete;

  VkImage handle() const { return image_; }
  VkImageView view() const { return view_; }
  VkExtent2D extent() const { return spec_.extent; }
  VkFormat format() const { return spec_.format; }
  VkImageAspectFlags aspect() const { return spec_.aspect; }
  explicit operator bool() const { return image_ != VK_NULL_HANDLE; }

 private:
  void release();

  VkDevice device_ = VK_NULL_HANDLE;
  ImageSpec spec_;
  VkImage image_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  VkImageView view_ = VK_NULL_HANDLE;
};

// One image memory barrier: a layout change plus the execution/memory dependency around it.
struct LayoutTransition {
  VkImageLayout old_layout = VK_IMAGE_LAYOUT_UNDEFINED;
  VkImageLayout new_layout = VK_IMAGE_LAYOUT_UNDEFINED;
  VkPipelineStageFlags src_stage = VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT;
  VkAccessFlags src_access = 0;
  VkPipelineStageFlags dst_stage = VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT;
  VkAccessFlags dst_access = 0;
};

void transition_image(VkCommandBuffer cmd, VkImage image, VkImageAspectFlags aspect, const LayoutTransition& t);

// Aspect flags a depth format's attachment view needs (depth, plus stencil for combined formats).
VkImageAspectFlags depth_aspect(VkFormat depth_format);

}  // namespace shape::render
