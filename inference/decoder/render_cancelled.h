// Thrown by a NeRF render whose cancel flag was set (NerfRenderOptions::cancel,
// RenderSettings::cancel). Torch-free, for front ends that catch it.
#pragma once

#include <stdexcept>

namespace shape {

class RenderCancelled : public std::runtime_error {
 public:
  RenderCancelled() : std::runtime_error("render cancelled") {}
};

}  // namespace shape
