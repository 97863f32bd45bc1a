#include "renderer/image_display.h"

#include "renderer/pipeline_utils.h"
#include "renderer/vk_check.h"
#include "renderer/vk_struct.h"

#include <shape_shaders/image_quad_frag.h>
#include <shape_shaders/image_quad_vert.h>

#include <cstring>
#include <stdexcept>

namespace shape::render {

ImageDisplay::ImageDisplay(VulkanContext& context, VkRenderPass render_pass, uint32_t slots)
    : context_(context), slots_(slots), staging_(context) {
  if (slots == 0) throw std::invalid_argument("ImageDisplay needs at least one slot");
  create_pipeline(render_pass);
}

ImageDisplay::~ImageDisplay() {
  vkDeviceWaitIdle(context_.device());  // frames in flight may still sample the texture
  slots_.clear();  // the textures go before the descriptor pool and sampler that refer to them
  pipeline_objects_.flush();
}

void ImageDisplay::create_pipeline(VkRenderPass render_pass) {
  VkDevice device = context_.device();

  auto sampler_info = vk_struct<VkSamplerCreateInfo>(VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO);
  sampler_info.magFilter = VK_FILTER_LINEAR;
  sampler_info.minFilter = VK_FILTER_LINEAR;
  sampler_info.mipmapMode = VK_SAMPLER_MIPMAP_MODE_NEAREST;
  sampler_info.addressModeU = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE;
  sampler_info.addressModeV = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE;
  sampler_info.addressModeW = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE;
  sampler_info.maxLod = 0.0f;
  VK_CHECK(vkCreateSampler(device, &sampler_info, nullptr, &sampler_));
  pipeline_objects_.push([device, sampler = sampler_] { vkDestroySampler(device, sampler, nullptr); });

  VkDescriptorSetLayoutBinding binding{};
  binding.binding = 0;
  binding.descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER;
  binding.descriptorCount = 1;
  binding.stageFlags = VK_SHADER_STAGE_FRAGMENT_BIT;
  auto set_layout_info = vk_struct<VkDescriptorSetLayoutCreateInfo>(VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO);
  set_layout_info.bindingCount = 1;
  set_layout_info.pBindings = &binding;
  VK_CHECK(vkCreateDescriptorSetLayout(device, &set_layout_info, nullptr, &set_layout_));
  pipeline_objects_.push([device, layout = set_layout_] { vkDestroyDescriptorSetLayout(device, layout, nullptr); });

  const uint32_t slot_count = static_cast<uint32_t>(slots_.size());
  VkDescriptorPoolSize pool_size{VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, slot_count};
  auto pool_info = vk_struct<VkDescriptorPoolCreateInfo>(VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO);
  pool_info.maxSets = slot_count;
  pool_info.poolSizeCount = 1;
  pool_info.pPoolSizes = &pool_size;
  VK_CHECK(vkCreateDescriptorPool(device, &pool_info, nullptr, &descriptor_pool_));
  pipeline_objects_.push([device, pool = descriptor_pool_] { vkDestroyDescriptorPool(device, pool, nullptr); });
  const std::vector<VkDescriptorSetLayout> set_layouts(slot_count, set_layout_);
  std::vector<VkDescriptorSet> sets(slot_count);
  auto set_info = vk_struct<VkDescriptorSetAllocateInfo>(VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO);
  set_info.descriptorPool = descriptor_pool_;
  set_info.descriptorSetCount = slot_count;
  set_info.pSetLayouts = set_layouts.data();
  VK_CHECK(vkAllocateDescriptorSets(device, &set_info, sets.data()));
  for (uint32_t i = 0; i < slot_count; ++i) slots_[i].descriptor_set = sets[i];

  auto layout_info = vk_struct<VkPipelineLayoutCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO);
  layout_info.setLayoutCount = 1;
  layout_info.pSetLayouts = &set_layout_;
  VK_CHECK(vkCreatePipelineLayout(device, &layout_info, nullptr, &pipeline_layout_));
  pipeline_objects_.push([device, layout = pipeline_layout_] { vkDestroyPipelineLayout(device, layout, nullptr); });

  VkShaderModule vertex = create_shader_module(device, shaders::image_quad_vert);
  DeletionQueue modules;  // only needed while the pipeline is built
  modules.push([device, vertex] { vkDestroyShaderModule(device, vertex, nullptr); });
  VkShaderModule fragment = create_shader_module(device, shaders::image_quad_frag);
  modules.push([device, fragment] { vkDestroyShaderModule(device, fragment, nullptr); });

  GraphicsPipelineDesc desc;
  desc.vertex_shader = vertex;
  desc.fragment_shader = fragment;
  desc.layout = pipeline_layout_;
  desc.render_pass = render_pass;
  desc.topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_STRIP;
  desc.depth_test = false;  // a flat backdrop; leaves the depth buffer to the mesh
  pipeline_ = create_graphics_pipeline(device, desc);
  pipeline_objects_.push([device, pipeline = pipeline_] { vkDestroyPipeline(device, pipeline, nullptr); });
}

void ImageDisplay::set_image(const uint8_t* rgba, uint32_t width, uint32_t height, uint32_t slot) {
  if (!rgba) throw std::invalid_argument("ImageDisplay::set_image: null pixels");
  uint8_t* destination = staging_.begin_write(width, height);
  std::memcpy(destination, rgba, std::size_t{width} * height * 4);
  update_from(staging_.end_write(), slot);
}

void ImageDisplay::recreate_texture(uint32_t slot, VkExtent2D extent) {
  Slot& target = slots_[slot];
  // The old texture and the descriptor that names it may still be used by frames in flight.
  if (target.texture) context_.wait_idle();
  target.texture = GpuImage(context_, ImageSpec{extent, VK_FORMAT_R8G8B8A8_UNORM,
                                          VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT,
                                          VK_IMAGE_ASPECT_COLOR_BIT});
  VkDescriptorImageInfo image_info{sampler_, target.texture.view(), VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL};
  auto write = vk_struct<VkWriteDescriptorSet>(VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET);
  write.dstSet = target.descriptor_set;
  write.dstBinding = 0;
  write.descriptorCount = 1;
  write.descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER;
  write.pImageInfo = &image_info;
  vkUpdateDescriptorSets(context_.device(), 1, &write, 0, nullptr);
}

void ImageDisplay::update_from(const PixelSource& source, uint32_t slot) {
  if (slot >= slots_.size()) throw std::out_of_range("ImageDisplay::update_from: no such slot");
  if (source.buffer == VK_NULL_HANDLE || source.width == 0 || source.height == 0) {
    throw std::invalid_argument("ImageDisplay::update_from: empty pixel source");
  }
  const uint32_t max_size = context_.device_info().max_image_dimension_2d;
  if (source.width > max_size || source.height > max_size) {
    throw std::invalid_argument("ImageDisplay::update_from: image larger than the device allows");
  }
  const VkExtent2D extent{source.width, source.height};
  const GpuImage& texture = slots_[slot].texture;
  const bool fresh = !texture || texture.extent().width != extent.width || texture.extent().height != extent.height;
  if (fresh) recreate_texture(slot, extent);

  const VkImage image = slots_[slot].texture.handle();
  context_.immediate_submit(
      [&](VkCommandBuffer cmd) {
        // Earlier frames on this queue may still sample the texture: their fragment shading is the
        // first scope (a write-after-read hazard needs only the execution dependency).
        LayoutTransition to_transfer;
        to_transfer.old_layout = fresh ? VK_IMAGE_LAYOUT_UNDEFINED : VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL;
        to_transfer.new_layout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
        to_transfer.src_stage = VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT;
        to_transfer.src_access = 0;
        to_transfer.dst_stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
        to_transfer.dst_access = VK_ACCESS_TRANSFER_WRITE_BIT;
        transition_image(cmd, image, VK_IMAGE_ASPECT_COLOR_BIT, to_transfer);

        VkBufferImageCopy region{};
        region.bufferOffset = source.offset;
        region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
        region.imageExtent = {extent.width, extent.height, 1};
        vkCmdCopyBufferToImage(cmd, source.buffer, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &region);

        LayoutTransition to_shader;
        to_shader.old_layout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
        to_shader.new_layout = VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL;
        to_shader.src_stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
        to_shader.src_access = VK_ACCESS_TRANSFER_WRITE_BIT;
        to_shader.dst_stage = VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT;
        to_shader.dst_access = VK_ACCESS_SHADER_READ_BIT;
        transition_image(cmd, image, VK_IMAGE_ASPECT_COLOR_BIT, to_shader);
      },
      source.wait);
}

void ImageDisplay::clear(uint32_t slot) {
  GpuImage& texture = slots_.at(slot).texture;
  if (!texture) return;
  context_.wait_idle();
  texture = GpuImage();
}

ViewRect ImageDisplay::draw(const ActivePass& pass, const ViewRect& area, uint32_t slot,
                            const std::optional<ViewRect>& clip) const {
  const Slot& source = slots_.at(slot);
  if (!source.texture || area.empty()) return {};
  const VkExtent2D extent = source.texture.extent();
  const ViewRect fitted = fit_aspect(area, static_cast<float>(extent.width) / static_cast<float>(extent.height));
  // The quad fills the viewport, so the viewport itself is the fitted rectangle.
  if (!set_viewport_and_scissor(pass.cmd, fitted, pass.extent, clip)) return {};
  vkCmdBindPipeline(pass.cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipeline_);
  vkCmdBindDescriptorSets(pass.cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipeline_layout_, 0, 1, &source.descriptor_set,
                          0, nullptr);
  vkCmdDraw(pass.cmd, 4, 1, 0, 0);
  return fitted;
}

}  // namespace shape::render
