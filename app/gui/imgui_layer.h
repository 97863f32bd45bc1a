// Dear ImGui 1.86 on GLFW + the window's Vulkan render pass, set up the way window_renderer.h
// describes; RAII so every exit path shuts the backends down in order.
#pragma once

#include <vulkan/vulkan.h>

#include "gui/key_taps.h"

struct GLFWwindow;

namespace shape::render {
class VulkanContext;
class WindowRenderer;
}  // namespace shape::render

namespace shape::studio {

class ImGuiLayer {
 public:
  ImGuiLayer(GLFWwindow* window, render::VulkanContext& context, render::WindowRenderer& renderer);
  ~ImGuiLayer();
  ImGuiLayer(const ImGuiLayer&) = delete;
  ImGuiLayer& operator=(const ImGuiLayer&) = delete;

  void begin_frame();  // backends' NewFrame + ImGui::NewFrame
  void end_frame();    // ImGui::Render (outside the render pass); held-back key releases go through
  // Records the draw data into the open frame's command buffer.
  void draw(VkCommandBuffer cmd);
  void swapchain_recreated(uint32_t min_image_count);

 private:
  render::VulkanContext& context_;
  VkDescriptorPool pool_ = VK_NULL_HANDLE;
  KeyTaps key_taps_;
};

}  // namespace shape::studio
