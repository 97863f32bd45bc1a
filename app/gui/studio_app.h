// The window: GLFW + Vulkan + ImGui, the model worker, and the frame loop that ties them together.
#pragma once

#include <filesystem>

#include "gui/app_options.h"

namespace shape::studio {

// Runs the app until the window closes (or a test hook ends it). Returns the process exit code:
// 0, 1 when no window or Vulkan device can be had, 2 when --exit-after-job's job or export failed,
// 3 when --strict-validation saw validation messages.
int run_studio(const AppOptions& options);

}  // namespace shape::studio
