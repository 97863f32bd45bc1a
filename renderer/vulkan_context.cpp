#include "renderer/vulkan_context.h"
#include "renderer/vk_struct.h"

#include "renderer/vk_check.h"

#define GLFW_INCLUDE_VULKAN
#include <GLFW/glfw3.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace shape::render {
namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

VKAPI_ATTR VkBool32 VKAPI_CALL debug_messenger_callback(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT /*types*/,
    const VkDebugUtilsMessengerCallbackDataEXT* data, void* user_data) {
  ValidationMessage message;
  if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
    message.severity = ValidationSeverity::Error;
  } else if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
    message.severity = ValidationSeverity::Warning;
  } else if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_INFO_BIT_EXT) {
    message.severity = ValidationSeverity::Info;
  } else {
    message.severity = ValidationSeverity::Verbose;
  }
  if (data->pMessageIdName) message.id = data->pMessageIdName;
  if (data->pMessage) message.text = data->pMessage;
  static_cast<ValidationMonitor*>(user_data)->report(std::move(message));
  return VK_FALSE;  // never abort the call
}

VkDebugUtilsMessengerCreateInfoEXT messenger_create_info(ValidationMonitor* monitor) {
  auto info = vk_struct<VkDebugUtilsMessengerCreateInfoEXT>(VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT);
  // Info/verbose carry loader chatter, not problems; warnings and errors are what tests count.
  info.messageSeverity =
      VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  info.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                     VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                     VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  info.pfnUserCallback = debug_messenger_callback;
  info.pUserData = monitor;
  return info;
}

bool has_layer(const char* name) {
  uint32_t count = 0;
  VK_CHECK(vkEnumerateInstanceLayerProperties(&count, nullptr));
  std::vector<VkLayerProperties> layers(count);
  VK_CHECK(vkEnumerateInstanceLayerProperties(&count, layers.data()));
  return std::any_of(layers.begin(), layers.end(),
                     [&](const VkLayerProperties& layer) { return std::strcmp(layer.layerName, name) == 0; });
}

std::vector<VkExtensionProperties> instance_extensions(const char* layer) {
  uint32_t count = 0;
  VK_CHECK(vkEnumerateInstanceExtensionProperties(layer, &count, nullptr));
  std::vector<VkExtensionProperties> extensions(count);
  VK_CHECK(vkEnumerateInstanceExtensionProperties(layer, &count, extensions.data()));
  return extensions;
}

std::vector<VkExtensionProperties> device_extensions(VkPhysicalDevice device) {
  uint32_t count = 0;
  VK_CHECK(vkEnumerateDeviceExtensionProperties(device, nullptr, &count, nullptr));
  std::vector<VkExtensionProperties> extensions(count);
  VK_CHECK(vkEnumerateDeviceExtensionProperties(device, nullptr, &count, extensions.data()));
  return extensions;
}

bool has_extension(const std::vector<VkExtensionProperties>& extensions, const char* name) {
  return std::any_of(extensions.begin(), extensions.end(), [&](const VkExtensionProperties& extension) {
    return std::strcmp(extension.extensionName, name) == 0;
  });
}

int device_type_rank(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 4;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 3;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 1;  // lavapipe: fine for CI and machines without a GPU
    default: return 0;
  }
}

// A queue family with graphics (and, when windowed, presentation to `surface`), or -1.
int find_graphics_queue_family(VkPhysicalDevice device, VkSurfaceKHR surface) {
  uint32_t count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(device, &count, nullptr);
  std::vector<VkQueueFamilyProperties> families(count);
  vkGetPhysicalDeviceQueueFamilyProperties(device, &count, families.data());
  for (uint32_t i = 0; i < count; ++i) {
    if (!(families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT)) continue;
    if (surface != VK_NULL_HANDLE) {
      VkBool32 can_present = VK_FALSE;
      VK_CHECK(vkGetPhysicalDeviceSurfaceSupportKHR(device, i, surface, &can_present));
      if (!can_present) continue;
    }
    return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

std::string DeviceInfo::device_uuid_string() const {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (uint8_t byte : device_uuid) {
    out += kHex[byte >> 4];
    out += kHex[byte & 15];
  }
  return out;
}

VulkanContext::VulkanContext(const ContextOptions& options)
    : validation_monitor_(options.validation_monitor ? options.validation_monitor
                                                     : std::make_shared<ValidationMonitor>()),
      window_(options.window) {
  try {
    create_instance(options);
    if (window_) VK_CHECK(glfwCreateWindowSurface(instance_, window_, nullptr, &surface_));
    pick_physical_device();
    create_device();
  } catch (...) {
    release();  // the destructor does not run when the constructor throws
    throw;
  }
}

VulkanContext::~VulkanContext() { release(); }

void VulkanContext::release() {
  if (device_) {
    vkDeviceWaitIdle(device_);  // no VK_CHECK in a destructor: nothing useful to do on failure
    if (immediate_fence_) vkDestroyFence(device_, immediate_fence_, nullptr);
    if (immediate_pool_) vkDestroyCommandPool(device_, immediate_pool_, nullptr);
    vkDestroyDevice(device_, nullptr);
  }
  if (surface_) vkDestroySurfaceKHR(instance_, surface_, nullptr);
  if (debug_messenger_) {
    auto destroy_messenger = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroy_messenger) destroy_messenger(instance_, debug_messenger_, nullptr);
  }
  if (instance_) vkDestroyInstance(instance_, nullptr);
  immediate_fence_ = VK_NULL_HANDLE;
  immediate_pool_ = VK_NULL_HANDLE;
  device_ = VK_NULL_HANDLE;
  surface_ = VK_NULL_HANDLE;
  debug_messenger_ = VK_NULL_HANDLE;
  instance_ = VK_NULL_HANDLE;
}

void VulkanContext::create_instance(const ContextOptions& options) {
  uint32_t loader_version = VK_API_VERSION_1_0;
  VK_CHECK(vkEnumerateInstanceVersion(&loader_version));
  if (loader_version < VK_API_VERSION_1_1) throw std::runtime_error("Vulkan 1.1 or newer is required");

  std::vector<const char*> extensions;
  if (window_) {
    uint32_t glfw_count = 0;
    const char** glfw_extensions = glfwGetRequiredInstanceExtensions(&glfw_count);
    if (!glfw_extensions) throw std::runtime_error("GLFW found no Vulkan support for windows");
    extensions.assign(glfw_extensions, glfw_extensions + glfw_count);
  }

  validation_enabled_ = options.enable_validation && has_layer(kValidationLayer);
  if (options.enable_validation && !validation_enabled_) {
    std::fprintf(stderr, "[vulkan] %s is not installed; running without validation\n", kValidationLayer);
  }
  std::vector<const char*> layers;
  bool sync_validation = false;
  if (validation_enabled_) {
    layers.push_back(kValidationLayer);
    if (!has_extension(instance_extensions(nullptr), VK_EXT_DEBUG_UTILS_EXTENSION_NAME)) {
      throw std::runtime_error("validation requested but VK_EXT_debug_utils is missing");
    }
    extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    sync_validation = options.enable_synchronization_validation &&
                      has_extension(instance_extensions(kValidationLayer), VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME);
    if (sync_validation) extensions.push_back(VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME);
  }

  auto app = vk_struct<VkApplicationInfo>(VK_STRUCTURE_TYPE_APPLICATION_INFO);
  app.pApplicationName = options.application_name.c_str();
  app.applicationVersion = VK_MAKE_VERSION(0, 1, 0);
  app.pEngineName = "shape_renderer";
  app.engineVersion = VK_MAKE_VERSION(0, 1, 0);
  app.apiVersion = loader_version >= VK_API_VERSION_1_2 ? VK_API_VERSION_1_2 : VK_API_VERSION_1_1;

  auto info = vk_struct<VkInstanceCreateInfo>(VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO);
  info.pApplicationInfo = &app;
  info.enabledLayerCount = static_cast<uint32_t>(layers.size());
  info.ppEnabledLayerNames = layers.data();
  info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();

  // Chained into the create info, the messenger also sees vkCreateInstance / vkDestroyInstance.
  VkDebugUtilsMessengerCreateInfoEXT messenger_info = messenger_create_info(validation_monitor_.get());
  const VkValidationFeatureEnableEXT sync_feature = VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT;
  auto features = vk_struct<VkValidationFeaturesEXT>(VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT);
  features.enabledValidationFeatureCount = 1;
  features.pEnabledValidationFeatures = &sync_feature;
  if (validation_enabled_) {
    info.pNext = &messenger_info;
    if (sync_validation) messenger_info.pNext = &features;
  }
  VK_CHECK(vkCreateInstance(&info, nullptr, &instance_));

  if (validation_enabled_) {
    auto create_messenger = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkCreateDebugUtilsMessengerEXT"));
    if (!create_messenger) throw std::runtime_error("vkCreateDebugUtilsMessengerEXT is unavailable");
    messenger_info.pNext = nullptr;
    VK_CHECK(create_messenger(instance_, &messenger_info, nullptr, &debug_messenger_));
  }
}

void VulkanContext::pick_physical_device() {
  uint32_t count = 0;
  VK_CHECK(vkEnumeratePhysicalDevices(instance_, &count, nullptr));
  std::vector<VkPhysicalDevice> devices(count);
  VK_CHECK(vkEnumeratePhysicalDevices(instance_, &count, devices.data()));

  int best_rank = -1;
  for (VkPhysicalDevice candidate : devices) {
    VkPhysicalDeviceProperties properties;
    vkGetPhysicalDeviceProperties(candidate, &properties);
    if (properties.apiVersion < VK_API_VERSION_1_1) continue;
    if (surface_ && !has_extension(device_extensions(candidate), VK_KHR_SWAPCHAIN_EXTENSION_NAME)) continue;
    const int family = find_graphics_queue_family(candidate, surface_);
    if (family < 0) continue;
    const int rank = device_type_rank(properties.deviceType);
    if (rank > best_rank) {
      best_rank = rank;
      physical_device_ = candidate;
      graphics_queue_family_ = static_cast<uint32_t>(family);
    }
  }
  if (!physical_device_) {
    throw std::runtime_error(surface_ ? "no Vulkan 1.1 device can draw to and present on this window"
                                      : "no Vulkan 1.1 device with a graphics queue");
  }

  auto id_properties = vk_struct<VkPhysicalDeviceIDProperties>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES);
  auto properties2 = vk_struct<VkPhysicalDeviceProperties2>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2);
  properties2.pNext = &id_properties;
  vkGetPhysicalDeviceProperties2(physical_device_, &properties2);
  const VkPhysicalDeviceProperties& properties = properties2.properties;
  device_info_.name = properties.deviceName;
  device_info_.type = properties.deviceType;
  device_info_.api_version = properties.apiVersion;
  device_info_.vendor_id = properties.vendorID;
  device_info_.device_id = properties.deviceID;
  std::copy(std::begin(id_properties.deviceUUID), std::end(id_properties.deviceUUID),
            device_info_.device_uuid.begin());
  device_info_.non_coherent_atom_size = properties.limits.nonCoherentAtomSize;
  device_info_.max_image_dimension_2d = properties.limits.maxImageDimension2D;
  vkGetPhysicalDeviceMemoryProperties(physical_device_, &memory_properties_);

  depth_format_ = VK_FORMAT_UNDEFINED;
  for (VkFormat format : {VK_FORMAT_D32_SFLOAT, VK_FORMAT_D32_SFLOAT_S8_UINT, VK_FORMAT_D24_UNORM_S8_UINT}) {
    VkFormatProperties format_properties;
    vkGetPhysicalDeviceFormatProperties(physical_device_, format, &format_properties);
    if (format_properties.optimalTilingFeatures & VK_FORMAT_FEATURE_DEPTH_STENCIL_ATTACHMENT_BIT) {
      depth_format_ = format;
      break;
    }
  }
  if (depth_format_ == VK_FORMAT_UNDEFINED) throw std::runtime_error("no supported depth format");
}

void VulkanContext::create_device() {
  const auto available = device_extensions(physical_device_);
  std::vector<const char*> extensions;
  if (surface_) extensions.push_back(VK_KHR_SWAPCHAIN_EXTENSION_NAME);
  // VK_KHR_external_memory itself is core in Vulkan 1.1; the fd flavour is what CUDA imports on Linux.
  device_info_.external_memory_fd = has_extension(available, VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME);
  if (device_info_.external_memory_fd) extensions.push_back(VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME);
  // Lets CUDA signal a semaphore Vulkan waits on. Missing on lavapipe: enabled only where the device has it.
  device_info_.external_semaphore_fd = has_extension(available, VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME);
  if (device_info_.external_semaphore_fd) extensions.push_back(VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME);

  auto timeline_supported = vk_struct<VkPhysicalDeviceTimelineSemaphoreFeatures>(
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES);
  auto supported = vk_struct<VkPhysicalDeviceFeatures2>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2);
  const bool vulkan_1_2 = device_info_.api_version >= VK_API_VERSION_1_2;
  if (vulkan_1_2) supported.pNext = &timeline_supported;
  vkGetPhysicalDeviceFeatures2(physical_device_, &supported);

  auto timeline_enabled = vk_struct<VkPhysicalDeviceTimelineSemaphoreFeatures>(
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES);
  auto enabled = vk_struct<VkPhysicalDeviceFeatures2>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2);
  enabled.features.fillModeNonSolid = supported.features.fillModeNonSolid;
  device_info_.fill_mode_non_solid = supported.features.fillModeNonSolid == VK_TRUE;
  if (vulkan_1_2 && timeline_supported.timelineSemaphore) {
    timeline_enabled.timelineSemaphore = VK_TRUE;
    enabled.pNext = &timeline_enabled;
    device_info_.timeline_semaphores = true;
  }

  const float priority = 1.0f;
  auto queue_info = vk_struct<VkDeviceQueueCreateInfo>(VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO);
  queue_info.queueFamilyIndex = graphics_queue_family_;
  queue_info.queueCount = 1;
  queue_info.pQueuePriorities = &priority;

  auto info = vk_struct<VkDeviceCreateInfo>(VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO);
  info.pNext = &enabled;
  info.queueCreateInfoCount = 1;
  info.pQueueCreateInfos = &queue_info;
  info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();
  VK_CHECK(vkCreateDevice(physical_device_, &info, nullptr, &device_));
  vkGetDeviceQueue(device_, graphics_queue_family_, 0, &graphics_queue_);

  auto pool_info = vk_struct<VkCommandPoolCreateInfo>(VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO);
  pool_info.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
  pool_info.queueFamilyIndex = graphics_queue_family_;
  VK_CHECK(vkCreateCommandPool(device_, &pool_info, nullptr, &immediate_pool_));
  auto allocate_info = vk_struct<VkCommandBufferAllocateInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO);
  allocate_info.commandPool = immediate_pool_;
  allocate_info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  allocate_info.commandBufferCount = 1;
  VK_CHECK(vkAllocateCommandBuffers(device_, &allocate_info, &immediate_cmd_));
  auto fence_info = vk_struct<VkFenceCreateInfo>(VK_STRUCTURE_TYPE_FENCE_CREATE_INFO);
  VK_CHECK(vkCreateFence(device_, &fence_info, nullptr, &immediate_fence_));
}

uint32_t VulkanContext::find_memory_type(uint32_t type_bits, VkMemoryPropertyFlags required,
                                         VkMemoryPropertyFlags preferred) const {
  int fallback = -1;
  for (uint32_t i = 0; i < memory_properties_.memoryTypeCount; ++i) {
    if (!(type_bits & (1u << i))) continue;
    const VkMemoryPropertyFlags flags = memory_properties_.memoryTypes[i].propertyFlags;
    if ((flags & required) != required) continue;
    if ((flags & preferred) == preferred) return i;
    if (fallback < 0) fallback = static_cast<int>(i);
  }
  if (fallback < 0) throw std::runtime_error("no Vulkan memory type with the required properties");
  return static_cast<uint32_t>(fallback);
}

VkMemoryPropertyFlags VulkanContext::memory_type_flags(uint32_t memory_type_index) const {
  return memory_properties_.memoryTypes[memory_type_index].propertyFlags;
}

void VulkanContext::immediate_submit(const std::function<void(VkCommandBuffer)>& record, const SubmitWait& wait) {
  VK_CHECK(vkResetCommandPool(device_, immediate_pool_, 0));
  auto begin = vk_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  VK_CHECK(vkBeginCommandBuffer(immediate_cmd_, &begin));
  record(immediate_cmd_);
  VK_CHECK(vkEndCommandBuffer(immediate_cmd_));

  auto submit = vk_struct<VkSubmitInfo>(VK_STRUCTURE_TYPE_SUBMIT_INFO);
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &immediate_cmd_;
  auto timeline = vk_struct<VkTimelineSemaphoreSubmitInfo>(VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO);
  if (wait.semaphore != VK_NULL_HANDLE) {
    submit.waitSemaphoreCount = 1;
    submit.pWaitSemaphores = &wait.semaphore;
    submit.pWaitDstStageMask = &wait.stage;
    if (wait.value != 0) {
      timeline.waitSemaphoreValueCount = 1;
      timeline.pWaitSemaphoreValues = &wait.value;
      submit.pNext = &timeline;
    }
  }
  VK_CHECK(vkQueueSubmit(graphics_queue_, 1, &submit, immediate_fence_));
  VK_CHECK(vkWaitForFences(device_, 1, &immediate_fence_, VK_TRUE, UINT64_MAX));
  VK_CHECK(vkResetFences(device_, 1, &immediate_fence_));
}

void VulkanContext::wait_idle() const { VK_CHECK(vkDeviceWaitIdle(device_)); }

}  // namespace shape::render
