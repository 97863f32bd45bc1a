#include "renderer/swapchain.h"

#include "renderer/render_pass.h"
#include "renderer/vk_check.h"
#include "renderer/vk_struct.h"
#include "renderer/vulkan_context.h"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace shape::render {
namespace {

// UNORM, not SRGB: Dear ImGui's colours are sRGB values written as they are, and our shaders encode
// their linear results themselves.
VkSurfaceFormatKHR choose_surface_format(VkPhysicalDevice device, VkSurfaceKHR surface) {
  uint32_t count = 0;
  VK_CHECK(vkGetPhysicalDeviceSurfaceFormatsKHR(device, surface, &count, nullptr));
  std::vector<VkSurfaceFormatKHR> formats(count);
  VK_CHECK(vkGetPhysicalDeviceSurfaceFormatsKHR(device, surface, &count, formats.data()));
  if (formats.empty()) throw std::runtime_error("the surface offers no formats");
  for (VkFormat wanted : {VK_FORMAT_B8G8R8A8_UNORM, VK_FORMAT_R8G8B8A8_UNORM}) {
    for (const VkSurfaceFormatKHR& format : formats) {
      if (format.format == wanted && format.colorSpace == VK_COLOR_SPACE_SRGB_NONLINEAR_KHR) return format;
    }
  }
  return formats.front();
}

}  // namespace

Swapchain::Swapchain(VulkanContext& context, VkExtent2D framebuffer_extent) : context_(context) {
  if (context.surface() == VK_NULL_HANDLE) throw std::logic_error("Swapchain needs a context made with a window");
  const VkSurfaceFormatKHR format = choose_surface_format(context.physical_device(), context.surface());
  color_format_ = format.format;
  color_space_ = format.colorSpace;
  RenderPassSpec spec;
  spec.color_format = color_format_;
  spec.depth_format = context.depth_format();
  spec.color_final_layout = VK_IMAGE_LAYOUT_PRESENT_SRC_KHR;
  render_pass_ = create_color_depth_render_pass(context.device(), spec);
  try {
    create(framebuffer_extent);
  } catch (...) {
    destroy_size_dependent();
    if (swapchain_) vkDestroySwapchainKHR(context.device(), swapchain_, nullptr);
    vkDestroyRenderPass(context.device(), render_pass_, nullptr);
    throw;
  }
}

Swapchain::~Swapchain() {
  vkDeviceWaitIdle(context_.device());
  destroy_size_dependent();
  vkDestroySwapchainKHR(context_.device(), swapchain_, nullptr);
  vkDestroyRenderPass(context_.device(), render_pass_, nullptr);
}

bool Swapchain::recreate(VkExtent2D framebuffer_extent) {
  VkSurfaceCapabilitiesKHR caps;
  VK_CHECK(vkGetPhysicalDeviceSurfaceCapabilitiesKHR(context_.physical_device(), context_.surface(), &caps));
  if (caps.currentExtent.width == 0 || caps.currentExtent.height == 0) return false;  // minimised meanwhile
  context_.wait_idle();
  destroy_size_dependent();
  create(framebuffer_extent);  // hands the old swapchain over as oldSwapchain, then destroys it
  return true;
}

void Swapchain::destroy_size_dependent() {
  VkDevice device = context_.device();
  for (auto it = images_.rbegin(); it != images_.rend(); ++it) {
    if (it->render_finished) vkDestroySemaphore(device, it->render_finished, nullptr);
    if (it->framebuffer) vkDestroyFramebuffer(device, it->framebuffer, nullptr);
    if (it->view) vkDestroyImageView(device, it->view, nullptr);
  }
  images_.clear();
  depth_ = GpuImage();
}

void Swapchain::create(VkExtent2D framebuffer_extent) {
  VkDevice device = context_.device();
  VkSurfaceCapabilitiesKHR caps;
  VK_CHECK(vkGetPhysicalDeviceSurfaceCapabilitiesKHR(context_.physical_device(), context_.surface(), &caps));

  VkExtent2D extent = caps.currentExtent;
  if (extent.width == UINT32_MAX) {  // the surface takes whatever size we ask for
    extent.width = std::clamp(framebuffer_extent.width, caps.minImageExtent.width, caps.maxImageExtent.width);
    extent.height = std::clamp(framebuffer_extent.height, caps.minImageExtent.height, caps.maxImageExtent.height);
  }
  if (extent.width == 0 || extent.height == 0) throw std::logic_error("Swapchain: cannot create a 0x0 swapchain");

  uint32_t image_count = caps.minImageCount + 1;  // one spare so acquire rarely waits on the presenter
  if (caps.maxImageCount != 0) image_count = std::min(image_count, caps.maxImageCount);
  min_image_count_ = std::max<uint32_t>(caps.minImageCount, 2);
  image_count = std::max(image_count, min_image_count_);

  VkImageUsageFlags usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;
  supports_capture_ = (caps.supportedUsageFlags & VK_IMAGE_USAGE_TRANSFER_SRC_BIT) != 0;
  if (supports_capture_) usage |= VK_IMAGE_USAGE_TRANSFER_SRC_BIT;

  VkCompositeAlphaFlagBitsKHR composite = VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR;
  if (!(caps.supportedCompositeAlpha & composite)) {
    for (VkCompositeAlphaFlagBitsKHR candidate :
         {VK_COMPOSITE_ALPHA_INHERIT_BIT_KHR, VK_COMPOSITE_ALPHA_PRE_MULTIPLIED_BIT_KHR,
          VK_COMPOSITE_ALPHA_POST_MULTIPLIED_BIT_KHR}) {
      if (caps.supportedCompositeAlpha & candidate) {
        composite = candidate;
        break;
      }
    }
  }

  VkSwapchainKHR old_swapchain = swapchain_;
  auto info = vk_struct<VkSwapchainCreateInfoKHR>(VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR);
  info.surface = context_.surface();
  info.minImageCount = image_count;
  info.imageFormat = color_format_;
  info.imageColorSpace = color_space_;
  info.imageExtent = extent;
  info.imageArrayLayers = 1;
  info.imageUsage = usage;
  info.imageSharingMode = VK_SHARING_MODE_EXCLUSIVE;
  info.preTransform = caps.currentTransform;
  info.compositeAlpha = composite;
  info.presentMode = VK_PRESENT_MODE_FIFO_KHR;  // the one mode every driver has; no tearing
  info.clipped = VK_TRUE;
  info.oldSwapchain = old_swapchain;
  VkSwapchainKHR created = VK_NULL_HANDLE;
  const VkResult result = vkCreateSwapchainKHR(device, &info, nullptr, &created);
  if (old_swapchain) vkDestroySwapchainKHR(device, old_swapchain, nullptr);  // retired either way
  swapchain_ = VK_NULL_HANDLE;
  VK_CHECK(result);
  swapchain_ = created;
  extent_ = extent;
  ++generation_;

  uint32_t count = 0;
  VK_CHECK(vkGetSwapchainImagesKHR(device, swapchain_, &count, nullptr));
  std::vector<VkImage> images(count);
  VK_CHECK(vkGetSwapchainImagesKHR(device, swapchain_, &count, images.data()));

  depth_ = GpuImage(context_, ImageSpec{extent, context_.depth_format(), VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT,
                                        depth_aspect(context_.depth_format())});
  images_.reserve(count);
  for (VkImage image : images) {
    images_.push_back(SwapchainImage{image});
    SwapchainImage& entry = images_.back();
    auto view_info = vk_struct<VkImageViewCreateInfo>(VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO);
    view_info.image = image;
    view_info.viewType = VK_IMAGE_VIEW_TYPE_2D;
    view_info.format = color_format_;
    view_info.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    VK_CHECK(vkCreateImageView(device, &view_info, nullptr, &entry.view));

    const std::array<VkImageView, 2> attachments{entry.view, depth_.view()};
    auto framebuffer_info = vk_struct<VkFramebufferCreateInfo>(VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO);
    framebuffer_info.renderPass = render_pass_;
    framebuffer_info.attachmentCount = static_cast<uint32_t>(attachments.size());
    framebuffer_info.pAttachments = attachments.data();
    framebuffer_info.width = extent.width;
    framebuffer_info.height = extent.height;
    framebuffer_info.layers = 1;
    VK_CHECK(vkCreateFramebuffer(device, &framebuffer_info, nullptr, &entry.framebuffer));

    auto semaphore_info = vk_struct<VkSemaphoreCreateInfo>(VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO);
    VK_CHECK(vkCreateSemaphore(device, &semaphore_info, nullptr, &entry.render_finished));
  }
}

}  // namespace shape::render
