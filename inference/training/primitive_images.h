// Pictures of the procedural primitives, for the image-conditioned demo model: the primitive's exact
// signed distance (primitives.h) sphere-traced through the project's pinhole cameras
// (decoder/cameras.h), shaded and composited over a plain or gradient background. Two styles:
//   kTraining   what stage 2 learns from: a distant camera (mild perspective), one directional light
//               with an ambient term, no shadows, images 48-128 px on a side.
//   kPhotoLike  a held-out look the model never trains on: a close camera (strong perspective), the
//               object standing on a floor, soft shadows on it and the floor, a tinted light with
//               specular highlights, images 96-200 px.
// Exact surfaces rather than the stage-1 decoder's, so the pictures show the object the caption
// names, as a user's picture would.
#pragma once

#include <array>
#include <cstdint>

#include "inference/clip/image_u8.h"
#include "inference/training/primitives.h"

namespace shape::training {

enum class PrimitiveImageStyle { kTraining, kPhotoLike };
std::string style_name(PrimitiveImageStyle style);  // "training", "photo-like"

// Everything a picture is drawn with; random_primitive_view draws one.
struct PrimitiveView {
  std::array<float, 3> eye{0.0f, -4.0f, 1.0f};
  std::array<float, 3> target{0.0f, 0.0f, 0.0f};
  float short_side_fov = 0.6f;  // field of view across the image's shorter side, radians
  int width = 64;
  int height = 64;
  std::array<float, 3> light_direction{0.0f, 0.0f, 1.0f};  // unit, towards the light
  std::array<float, 3> light_colour{1.0f, 1.0f, 1.0f};     // linear RGB
  float ambient = 0.3f;
  std::array<float, 3> background_top{1.0f, 1.0f, 1.0f};  // sRGB in [0, 1]; the same twice: plain
  std::array<float, 3> background_bottom{1.0f, 1.0f, 1.0f};
  bool photo_effects = false;  // floor, soft shadows, specular highlights (kPhotoLike)
  std::array<float, 3> floor_colour{0.5f, 0.5f, 0.5f};  // sRGB in [0, 1]
};

// A random view of `style`, deterministic in `seed`.
PrimitiveView random_primitive_view(PrimitiveImageStyle style, uint64_t seed);

// The picture, 8-bit sRGB (3 channels). Throws std::invalid_argument for a non-positive size.
ImageU8 render_primitive_image(const PrimitiveSpec& spec, const PrimitiveView& view);

}  // namespace shape::training
