// A pinhole camera as shap-e defines it (DifferentiableProjectiveCamera): an origin and an
// orthonormal frame whose z looks at the scene, x points right and y points down the image.
// Plain data without LibTorch, so front ends can hold cameras.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace shape {

struct Camera {
  std::array<float, 3> origin{0.0f, 0.0f, 0.0f};
  std::array<float, 3> x{1.0f, 0.0f, 0.0f};
  std::array<float, 3> y{0.0f, 1.0f, 0.0f};
  std::array<float, 3> z{0.0f, 0.0f, 1.0f};
  int64_t width = 0;
  int64_t height = 0;
  float x_fov = 0.7f;  // full field of view in radians across the image width
  float y_fov = 0.7f;  // ... and height
};

// shap-e's create_pan_cameras(size): 20 views circling the object at distance 4, looking slightly
// down (z component -0.5 before normalising), fov 0.7, size x size pixels.
std::vector<Camera> create_pan_cameras(int64_t size);

// `count` views on the pan cameras' circle, evenly spaced over one turn without repeating the first
// (create_pan_cameras' 20 views end where they start): the frames of a looping turntable.
std::vector<Camera> create_turntable_cameras(int64_t size, int64_t count);

// A camera at `eye` looking at `target` with `up` pointing up in the image (the GUI's orbit
// camera). `y_fov` is the vertical field of view; the horizontal one follows from the aspect ratio.
Camera look_at_camera(const std::array<float, 3>& eye, const std::array<float, 3>& target,
                      const std::array<float, 3>& up, float y_fov, int64_t width, int64_t height);

}  // namespace shape
