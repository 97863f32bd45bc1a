// Which ImageUploader shows the preview: the CUDA–Vulkan zero-copy path needs every piece below,
// otherwise the staging path (CPU copy) is used. A pure function of plain facts, so the decision is
// unit-tested without a GPU; the facts come from ExternalInteropSupport (Vulkan side) and from the
// app's CUDA probe (CUDA side), which renderer/ knows nothing about.
#pragma once

#include <string>

namespace shape::render {

struct InteropFacts {
  bool vulkan_memory_fd_export = false;     // ExternalInteropSupport::memory_fd_export
  bool vulkan_semaphore_fd_export = false;  // ExternalInteropSupport::semaphore_fd_export
  bool cuda_interop_built = false;          // the app was compiled with the CUDA interop code
  bool cuda_device_matches_vulkan = false;  // a CUDA device has the Vulkan device's UUID
  bool producer_on_that_cuda_device = false;  // the preview images are rendered on that device
};

enum class UploaderKind { Staging, ExternalMemory };

struct UploaderChoice {
  UploaderKind kind = UploaderKind::Staging;
  // Why: the first missing piece when falling back to staging, for the log and the about box.
  std::string reason;
};

UploaderChoice choose_image_uploader(const InteropFacts& facts);

}  // namespace shape::render
