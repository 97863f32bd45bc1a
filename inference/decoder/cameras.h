// Camera layouts and per-pixel rays as shap-e builds them.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "inference/decoder/camera.h"

namespace shape {

// Rays of every pixel, row-major (y then x): [views, height * width, 2 (origin, unit direction), 3].
// All cameras must share the image size and fields of view.
torch::Tensor camera_rays(const std::vector<Camera>& cameras, const torch::TensorOptions& options = {});

// Unit z axis (viewing direction) per camera [views, 3], to turn ray distances into depth.
torch::Tensor camera_view_directions(const std::vector<Camera>& cameras, const torch::TensorOptions& options = {});

}  // namespace shape
