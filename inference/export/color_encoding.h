// The sRGB transfer function (IEC 61966-2-1) for one channel in [0, 1]: Shape Studio's meshes carry
// linear RGB; PLY bytes and OBJ colours are written sRGB-encoded, as viewers display them.
#pragma once

#include <cmath>

namespace shape {

inline float linear_to_srgb(float c) {
  c = std::fmin(std::fmax(c, 0.0f), 1.0f);
  return c <= 0.0031308f ? 12.92f * c : 1.055f * std::pow(c, 1.0f / 2.4f) - 0.055f;
}

inline float srgb_to_linear(float c) {
  c = std::fmin(std::fmax(c, 0.0f), 1.0f);
  return c <= 0.04045f ? c / 12.92f : std::pow((c + 0.055f) / 1.055f, 2.4f);
}

}  // namespace shape
