#include "gui/imgui_layer.h"

#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_vulkan.h>
#include <imgui.h>

#include <stdexcept>
#include <string>

#include "renderer/vk_check.h"
#include "renderer/vulkan_context.h"
#include "renderer/window_renderer.h"

namespace shape::studio {

namespace {

void check_imgui_vk_result(VkResult result) {
  if (result < 0) throw std::runtime_error("Dear ImGui Vulkan backend: VkResult " + std::to_string(result));
}

KeyTaps* g_key_taps = nullptr;  // GLFW callbacks are plain functions; there is one ImGui context

void key_callback_keeping_taps(GLFWwindow*, int key, int scancode, int action, int mods) {
  if (g_key_taps != nullptr) g_key_taps->on_key(key, scancode, action, mods);
}

}  // namespace

ImGuiLayer::ImGuiLayer(GLFWwindow* window, render::VulkanContext& context, render::WindowRenderer& renderer)
    : context_(context),
      key_taps_([window](int key, int scancode, int action, int mods) {
        ImGui_ImplGlfw_KeyCallback(window, key, scancode, action, mods);
      }) {
  // The 1.86 backend needs one combined image sampler (its font atlas); a little headroom.
  const VkDescriptorPoolSize sizes[] = {{VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 8}};
  VkDescriptorPoolCreateInfo pool_info{};
  pool_info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO;
  pool_info.flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT;
  pool_info.maxSets = 8;
  pool_info.poolSizeCount = 1;
  pool_info.pPoolSizes = sizes;
  VK_CHECK(vkCreateDescriptorPool(context.device(), &pool_info, nullptr, &pool_));

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;  // no imgui.ini left in the working directory
  ImGui::StyleColorsDark();
  ImGui_ImplGlfw_InitForVulkan(window, /*install_callbacks=*/true);
  g_key_taps = &key_taps_;
  glfwSetKeyCallback(window, key_callback_keeping_taps);  // in front of the backend's own callback

  ImGui_ImplVulkan_InitInfo info{};
  info.Instance = context.instance();
  info.PhysicalDevice = context.physical_device();
  info.Device = context.device();
  info.QueueFamily = context.graphics_queue_family();
  info.Queue = context.graphics_queue();
  info.DescriptorPool = pool_;
  info.MinImageCount = renderer.min_image_count();
  info.ImageCount = renderer.image_count();
  info.MSAASamples = VK_SAMPLE_COUNT_1_BIT;
  info.CheckVkResultFn = check_imgui_vk_result;
  ImGui_ImplVulkan_Init(&info, renderer.render_pass());
  context.immediate_submit([](VkCommandBuffer cmd) { ImGui_ImplVulkan_CreateFontsTexture(cmd); });
  ImGui_ImplVulkan_DestroyFontUploadObjects();
}

ImGuiLayer::~ImGuiLayer() {
  context_.wait_idle();
  ImGui_ImplVulkan_Shutdown();
  ImGui_ImplGlfw_Shutdown();  // puts back the key callback that was there before ours
  g_key_taps = nullptr;
  ImGui::DestroyContext();
  vkDestroyDescriptorPool(context_.device(), pool_, nullptr);
}

void ImGuiLayer::begin_frame() {
  ImGui_ImplVulkan_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  ImGui::NewFrame();
}

void ImGuiLayer::end_frame() {
  ImGui::Render();
  key_taps_.frame_built();
}

void ImGuiLayer::draw(VkCommandBuffer cmd) { ImGui_ImplVulkan_RenderDrawData(ImGui::GetDrawData(), cmd); }

void ImGuiLayer::swapchain_recreated(uint32_t min_image_count) { ImGui_ImplVulkan_SetMinImageCount(min_image_count); }

}  // namespace shape::studio
