// Draws an RGBA8 image (the NeRF preview, 128² … 1024² or any size) into a view rectangle, fitted
// with its aspect ratio kept (letterbox/pillarbox) and sampled with linear filtering.
// Built for one render pass: make one per target (swapchain, offscreen) whose pass it records into.
// Upload (set_image / update_from / clear) outside begin_frame()…end_frame(): a new image rewrites
// the descriptor set a frame being recorded may have bound.
#pragma once

#include "renderer/deletion_queue.h"
#include "renderer/gpu_image.h"
#include "renderer/image_uploader.h"
#include "renderer/render_pass.h"
#include "renderer/staging_image_uploader.h"
#include "renderer/view_layout.h"

#include <vulkan/vulkan.h>

#include <cstdint>

namespace shape::render {

class ImageDisplay {
 public:
  ImageDisplay(VulkanContext& context, VkRenderPass render_pass);
  ~ImageDisplay();
  ImageDisplay(const ImageDisplay&) = delete;
  ImageDisplay& operator=(const ImageDisplay&) = delete;

  // Shows width × height RGBA8 pixels (row-major, top row first), copied via the staging uploader.
  void set_image(const uint8_t* rgba, uint32_t width, uint32_t height);
  // Shows the pixels an ImageUploader's producer wrote. Copies on the graphics queue and waits for
  // the copy (the texture is then ready for every later frame). A new size recreates the texture,
  // which first waits for frames in flight.
  void update_from(const PixelSource& source);
  // Forgets the image (draw() then draws nothing).
  void clear();

  bool has_image() const { return static_cast<bool>(texture_); }
  VkExtent2D image_extent() const { return texture_.extent(); }
  StagingImageUploader& staging_uploader() { return staging_; }

  // Records the draw into `pass`; returns the fitted rectangle the image covers (empty without an
  // image or when `area` is empty).
  ViewRect draw(const ActivePass& pass, const ViewRect& area) const;

 private:
  void create_pipeline(VkRenderPass render_pass);
  void recreate_texture(VkExtent2D extent);

  VulkanContext& context_;
  DeletionQueue pipeline_objects_;
  VkDescriptorSetLayout set_layout_ = VK_NULL_HANDLE;
  VkPipelineLayout pipeline_layout_ = VK_NULL_HANDLE;
  VkPipeline pipeline_ = VK_NULL_HANDLE;
  VkSampler sampler_ = VK_NULL_HANDLE;
  VkDescriptorPool descriptor_pool_ = VK_NULL_HANDLE;
  VkDescriptorSet descriptor_set_ = VK_NULL_HANDLE;
  GpuImage texture_;
  StagingImageUploader staging_;
};

}  // namespace shape::render
