// The Vulkan instance, physical device, logical device and graphics queue, plus an optional window
// surface. Headless (no window: offscreen rendering and tests) or windowed (GLFW).
//
// Everything else in renderer/ borrows a VulkanContext&; it must outlive them. Not thread-safe:
// use it from one (the GUI) thread.
#pragma once

#include "renderer/validation_monitor.h"

#include <vulkan/vulkan.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

struct GLFWwindow;

namespace shape::render {

struct ContextOptions {
  std::string application_name = "Shape Studio";
#ifdef NDEBUG
  bool enable_validation = false;
#else
  bool enable_validation = true;  // debug builds validate by default
#endif
  // Also turn on the layer's synchronization validation (hazards between commands). Slower; tests
  // use it.
  bool enable_synchronization_validation = false;
  // Receives validation messages; one is made (printing to stderr) when null. Share one with the
  // context to keep reading it after the context is gone (leak reports come at destruction).
  std::shared_ptr<ValidationMonitor> validation_monitor;
  // Windowed mode: the context creates (and owns) a surface for this window and picks a queue that
  // can present to it. glfwInit() must have been called. Null = headless.
  GLFWwindow* window = nullptr;
};

// What was picked, for logs, the UI's "about" box and the CUDA interop (match by UUID).
struct DeviceInfo {
  std::string name;
  VkPhysicalDeviceType type = VK_PHYSICAL_DEVICE_TYPE_OTHER;
  uint32_t api_version = 0;
  uint32_t vendor_id = 0;
  uint32_t device_id = 0;
  // VkPhysicalDeviceIDProperties::deviceUUID: equals cudaDeviceProp::uuid of the same GPU.
  std::array<uint8_t, VK_UUID_SIZE> device_uuid{};
  bool external_memory_fd = false;    // VK_KHR_external_memory_fd enabled (CUDA can import memory)
  bool external_semaphore_fd = false; // VK_KHR_external_semaphore_fd enabled (CUDA can import semaphores)
  bool fill_mode_non_solid = false;   // polygonMode LINE enabled (wireframe)
  bool timeline_semaphores = false;   // timelineSemaphore feature enabled
  VkDeviceSize non_coherent_atom_size = 1;
  uint32_t max_image_dimension_2d = 0;

  std::string device_uuid_string() const;  // 32 lowercase hex digits
};

// Extra semaphore an immediate submission waits for (e.g. CUDA finished writing a shared buffer).
// value != 0 means a timeline semaphore waited for that value.
struct SubmitWait {
  VkSemaphore semaphore = VK_NULL_HANDLE;
  uint64_t value = 0;
  VkPipelineStageFlags stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
};

class VulkanContext {
 public:
  explicit VulkanContext(const ContextOptions& options = {});
  ~VulkanContext();
  VulkanContext(const VulkanContext&) = delete;
  VulkanContext& operator=(const VulkanContext&) = delete;

  VkInstance instance() const { return instance_; }
  VkPhysicalDevice physical_device() const { return physical_device_; }
  VkDevice device() const { return device_; }
  VkQueue graphics_queue() const { return graphics_queue_; }
  uint32_t graphics_queue_family() const { return graphics_queue_family_; }
  VkSurfaceKHR surface() const { return surface_; }  // VK_NULL_HANDLE when headless
  GLFWwindow* window() const { return window_; }
  bool headless() const { return surface_ == VK_NULL_HANDLE; }
  const DeviceInfo& device_info() const { return device_info_; }

  bool validation_enabled() const { return validation_enabled_; }
  ValidationMonitor& validation() const { return *validation_monitor_; }
  const std::shared_ptr<ValidationMonitor>& validation_monitor() const { return validation_monitor_; }

  // A memory type index allowed by type_bits with all of `required` (and, if possible, `preferred`)
  // property flags; throws when none has `required`.
  uint32_t find_memory_type(uint32_t type_bits, VkMemoryPropertyFlags required,
                            VkMemoryPropertyFlags preferred = 0) const;
  VkMemoryPropertyFlags memory_type_flags(uint32_t memory_type_index) const;
  // The depth format the render targets use (D32_SFLOAT when supported).
  VkFormat depth_format() const { return depth_format_; }

  // Records commands into a one-shot command buffer, submits them on the graphics queue and waits
  // for them to finish (uploads, read-backs, ImGui's font texture). Because it uses the same queue
  // as the frames, barriers recorded here also order against earlier frames' work.
  void immediate_submit(const std::function<void(VkCommandBuffer)>& record, const SubmitWait& wait = {});

  void wait_idle() const;

 private:
  void create_instance(const ContextOptions& options);
  void pick_physical_device();
  void create_device();
  void release();  // destroys whatever exists, newest first

  std::shared_ptr<ValidationMonitor> validation_monitor_;
  bool validation_enabled_ = false;
  GLFWwindow* window_ = nullptr;

  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT debug_messenger_ = VK_NULL_HANDLE;
  VkSurfaceKHR surface_ = VK_NULL_HANDLE;
  VkPhysicalDevice physical_device_ = VK_NULL_HANDLE;
  VkPhysicalDeviceMemoryProperties memory_properties_{};
  DeviceInfo device_info_;
  VkFormat depth_format_ = VK_FORMAT_D32_SFLOAT;
  uint32_t graphics_queue_family_ = 0;
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue graphics_queue_ = VK_NULL_HANDLE;

  VkCommandPool immediate_pool_ = VK_NULL_HANDLE;
  VkCommandBuffer immediate_cmd_ = VK_NULL_HANDLE;
  VkFence immediate_fence_ = VK_NULL_HANDLE;
};

}  // namespace shape::render
