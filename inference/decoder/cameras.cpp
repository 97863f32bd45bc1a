#include "inference/decoder/cameras.h"

#include <cmath>

#include <torch/torch.h>

namespace shape {
namespace {

using Vec3d = std::array<double, 3>;

Vec3d normalized(const Vec3d& v) {
  const double length = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  return {v[0] / length, v[1] / length, v[2] / length};
}

Vec3d cross(const Vec3d& a, const Vec3d& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}

std::array<float, 3> to_float(const Vec3d& v) {
  return {static_cast<float>(v[0]), static_cast<float>(v[1]), static_cast<float>(v[2])};
}

torch::Tensor stack_vectors(const std::vector<Camera>& cameras, std::array<float, 3> Camera::*member,
                            const torch::TensorOptions& options) {
  std::vector<float> values;
  for (const auto& camera : cameras) values.insert(values.end(), (camera.*member).begin(), (camera.*member).end());
  return torch::tensor(values, torch::kFloat32).view({static_cast<int64_t>(cameras.size()), 3}).to(options);
}

}  // namespace

namespace {

// A view on the pan cameras' circle at angle theta.
Camera pan_camera(double theta, int64_t size) {
  const Vec3d z = normalized({std::sin(theta), std::cos(theta), -0.5});
  const Vec3d x{std::cos(theta), -std::sin(theta), 0.0};
  Camera camera;
  camera.origin = to_float({-4.0 * z[0], -4.0 * z[1], -4.0 * z[2]});
  camera.x = to_float(x);
  camera.y = to_float(cross(z, x));
  camera.z = to_float(z);
  camera.width = camera.height = size;
  camera.x_fov = camera.y_fov = 0.7f;
  return camera;
}

}  // namespace

std::vector<Camera> create_pan_cameras(int64_t size) {
  // Computed in double and rounded once, as shap-e does with numpy before .float().
  constexpr int kViews = 20;
  std::vector<Camera> cameras;
  for (int i = 0; i < kViews; ++i) cameras.push_back(pan_camera(2.0 * M_PI * i / (kViews - 1), size));  // np.linspace(0, 2 pi, 20)
  return cameras;
}

std::vector<Camera> create_turntable_cameras(int64_t size, int64_t count) {
  TORCH_CHECK(size > 0 && count > 0, "a turntable needs a positive size and frame count");
  std::vector<Camera> cameras;
  for (int64_t i = 0; i < count; ++i) cameras.push_back(pan_camera(2.0 * M_PI * static_cast<double>(i) / count, size));
  return cameras;
}

Camera look_at_camera(const std::array<float, 3>& eye, const std::array<float, 3>& target,
                      const std::array<float, 3>& up, float y_fov, int64_t width, int64_t height) {
  TORCH_CHECK(width > 0 && height > 0, "camera image size must be positive");
  // shap-e's camera_orientation: y = -(up without its component along z), x = y cross z.
  const Vec3d z = normalized({double(target[0]) - eye[0], double(target[1]) - eye[1], double(target[2]) - eye[2]});
  const Vec3d up_d{up[0], up[1], up[2]};
  const double along = up_d[0] * z[0] + up_d[1] * z[1] + up_d[2] * z[2];
  const Vec3d y = normalized({-(up_d[0] - along * z[0]), -(up_d[1] - along * z[1]), -(up_d[2] - along * z[2])});
  const Vec3d x = cross(y, z);
  Camera camera;
  camera.origin = eye;
  camera.x = to_float(x);
  camera.y = to_float(y);
  camera.z = to_float(z);
  camera.width = width;
  camera.height = height;
  camera.y_fov = y_fov;
  camera.x_fov = static_cast<float>(
      2.0 * std::atan(std::tan(y_fov / 2.0) * static_cast<double>(width) / static_cast<double>(height)));
  return camera;
}

torch::Tensor camera_rays(const std::vector<Camera>& cameras, const torch::TensorOptions& options) {
  TORCH_CHECK(!cameras.empty(), "camera_rays needs at least one camera");
  const auto& first = cameras.front();
  for (const auto& camera : cameras) {
    TORCH_CHECK(camera.width == first.width && camera.height == first.height && camera.x_fov == first.x_fov &&
                    camera.y_fov == first.y_fov,
                "all cameras of a batch must share image size and field of view");
  }
  const auto float_options = torch::TensorOptions().dtype(torch::kFloat32).device(options.device());
  const int64_t views = static_cast<int64_t>(cameras.size());
  const int64_t pixels = first.width * first.height;
  // Pixel (px, py) maps to ((p / (size - 1)) * 2 - 1) * tan(fov / 2) in the camera plane.
  const auto index = torch::arange(pixels, float_options.dtype(torch::kLong));
  const auto coords = torch::stack({index.remainder(first.width), index.div(first.width, "trunc")}, 1).to(torch::kFloat32);
  const auto resolution = torch::tensor({float(first.width), float(first.height)}, float_options);
  const auto fov = torch::tensor({first.x_fov, first.y_fov}, float_options);
  const auto fracs = ((coords / (resolution - 1)) * 2 - 1) * torch::tan(fov / 2);  // [pixels, 2]

  const auto origin = stack_vectors(cameras, &Camera::origin, float_options).view({views, 1, 3});
  const auto x = stack_vectors(cameras, &Camera::x, float_options).view({views, 1, 3});
  const auto y = stack_vectors(cameras, &Camera::y, float_options).view({views, 1, 3});
  const auto z = stack_vectors(cameras, &Camera::z, float_options).view({views, 1, 3});
  auto directions = z + x * fracs.narrow(1, 0, 1).unsqueeze(0) + y * fracs.narrow(1, 1, 1).unsqueeze(0);
  directions = directions / directions.norm(2, -1, true);
  const auto rays = torch::stack({origin.expand({views, pixels, 3}), directions}, 2);
  return rays.to(options.dtype());
}

torch::Tensor camera_view_directions(const std::vector<Camera>& cameras, const torch::TensorOptions& options) {
  const auto z = stack_vectors(cameras, &Camera::z, torch::TensorOptions().device(options.device()));
  return (z / z.norm(2, -1, true)).to(options.dtype());
}

}  // namespace shape
