#include "renderer/uploader_selection.h"

namespace shape::render {

UploaderChoice choose_image_uploader(const InteropFacts& facts) {
  // Checked in the order a user can act on: build, then driver, then device, then settings.
  if (!facts.cuda_interop_built) return {UploaderKind::Staging, "built without CUDA interop"};
  if (!facts.vulkan_memory_fd_export) {
    return {UploaderKind::Staging, "the Vulkan device cannot export memory as an fd (VK_KHR_external_memory_fd)"};
  }
  if (!facts.vulkan_semaphore_fd_export) {
    return {UploaderKind::Staging,
            "the Vulkan device cannot export timeline semaphores as fds (VK_KHR_external_semaphore_fd)"};
  }
  if (!facts.cuda_device_matches_vulkan) {
    return {UploaderKind::Staging, "no CUDA device has the Vulkan device's UUID"};
  }
  if (!facts.producer_on_that_cuda_device) {
    return {UploaderKind::Staging, "the previews are not rendered on the Vulkan device's CUDA device"};
  }
  return {UploaderKind::ExternalMemory, "CUDA writes the preview straight into exported Vulkan memory"};
}

}  // namespace shape::render
