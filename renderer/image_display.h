// Draws RGBA8 images (the NeRF preview, 128² … 1024² or any size, and small thumbnails) into view
// rectangles, fitted with their aspect ratio kept (letterbox/pillarbox) and sampled with linear
// filtering. One pipeline serves a fixed number of slots, each holding one image.
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
#include <optional>
#include <vector>

namespace shape::render {

class ImageDisplay {
 public:
  // `slots` images can be held at once (slot 0 … slots-1).
  ImageDisplay(VulkanContext& context, VkRenderPass render_pass, uint32_t slots = 1);
  ~ImageDisplay();
  ImageDisplay(const ImageDisplay&) = delete;
  ImageDisplay& operator=(const ImageDisplay&) = delete;

  // Shows width × height RGBA8 pixels (row-major, top row first), copied via the staging uploader.
  void set_image(const uint8_t* rgba, uint32_t width, uint32_t height, uint32_t slot = 0);
  // Shows the pixels an ImageUploader's producer wrote. Copies on the graphics queue and waits for
  // the copy (the texture is then ready for every later frame). A new size recreates the texture,
  // which first waits for frames in flight.
  void update_from(const PixelSource& source, uint32_t slot = 0);
  // Forgets the slot's image (draw() then draws nothing there).
  void clear(uint32_t slot = 0);

  uint32_t slot_count() const { return static_cast<uint32_t>(slots_.size()); }
  bool has_image(uint32_t slot = 0) const { return static_cast<bool>(slots_.at(slot).texture); }
  VkExtent2D image_extent(uint32_t slot = 0) const { return slots_.at(slot).texture.extent(); }
  StagingImageUploader& staging_uploader() { return staging_; }

  // Records the draw of the slot's image into `pass`, limited to `clip` when given (a scrolled GUI
  // panel); returns the fitted rectangle the image covers (empty without an image or when `area` is
  // empty).
  ViewRect draw(const ActivePass& pass, const ViewRect& area, uint32_t slot = 0,
                const std::optional<ViewRect>& clip = std::nullopt) const;

 private:
  void create_pipeline(VkRenderPass render_pass);
  void recreate_texture(uint32_t slot, VkExtent2D extent);

  struct Slot {
    VkDescriptorSet descriptor_set = VK_NULL_HANDLE;
    GpuImage texture;
  };

  VulkanContext& context_;
  DeletionQueue pipeline_objects_;
  VkDescriptorSetLayout set_layout_ = VK_NULL_HANDLE;
  VkPipelineLayout pipeline_layout_ = VK_NULL_HANDLE;
  VkPipeline pipeline_ = VK_NULL_HANDLE;
  VkSampler sampler_ = VK_NULL_HANDLE;
  VkDescriptorPool descriptor_pool_ = VK_NULL_HANDLE;
  std::vector<Slot> slots_;
  StagingImageUploader staging_;
};

}  // namespace shape::render
