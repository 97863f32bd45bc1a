#include "renderer/orbit_camera.h"

#include <glm/gtc/matrix_transform.hpp>

#include <algorithm>
#include <cmath>

namespace shape::render {
namespace {
constexpr float kTwoPi = 6.28318530718f;
}  // namespace

OrbitCamera::OrbitCamera(const OrbitCameraSettings& settings) : settings_(settings) { reset(); }

void OrbitCamera::reset() {
  target_ = settings_.target;
  fov_y_ = settings_.fov_y;
  set_distance(settings_.distance);
  set_angles(settings_.yaw, settings_.pitch);
}

void OrbitCamera::frame(const glm::vec3& center, float radius, float aspect, float margin) {
  const float half_fov_y = 0.5f * fov_y_;
  const float half_fov_x = std::atan(std::tan(half_fov_y) * std::max(aspect, 1e-3f));
  const float half_fov = std::min(half_fov_y, half_fov_x);
  settings_.target = center;
  settings_.distance = std::clamp(margin * std::max(radius, 1e-3f) / std::sin(half_fov), settings_.min_distance,
                                  settings_.max_distance);
  target_ = center;
  set_distance(settings_.distance);
}

void OrbitCamera::set_distance(float distance) {
  distance_ = std::clamp(distance, settings_.min_distance, settings_.max_distance);
}

void OrbitCamera::set_angles(float yaw, float pitch) {
  // Keep yaw in (-π, π] so it does not grow without bound while spinning.
  yaw_ = std::remainder(yaw, kTwoPi);
  pitch_ = std::clamp(pitch, -settings_.max_pitch, settings_.max_pitch);
}

void OrbitCamera::orbit(float dx, float dy, float viewport_height) {
  if (viewport_height <= 0.0f) return;
  const float radians_per_pixel = kTwoPi * settings_.orbit_speed / viewport_height;
  // Dragging right moves the eye to the left around the target (the object follows the pointer);
  // dragging down raises the eye.
  set_angles(yaw_ - dx * radians_per_pixel, pitch_ + dy * radians_per_pixel);
}

void OrbitCamera::pan(float dx, float dy, float viewport_height) {
  if (viewport_height <= 0.0f) return;
  // World units per pixel on the plane through the target facing the camera.
  const float units_per_pixel = 2.0f * distance_ * std::tan(fov_y_ * 0.5f) / viewport_height;
  target_ += (-dx * right() + dy * up()) * units_per_pixel;
}

void OrbitCamera::dolly(float wheel_steps) { set_distance(distance_ * std::pow(settings_.dolly_step, wheel_steps)); }

void OrbitCamera::refocus(const glm::vec3& target) { target_ = target; }

glm::vec3 OrbitCamera::eye() const { return target_ - distance_ * forward(); }

glm::vec3 OrbitCamera::forward() const {
  const float c = std::cos(pitch_);
  // The eye sits at target + distance * (cos p cos y, cos p sin y, sin p); forward points back.
  return -glm::vec3(c * std::cos(yaw_), c * std::sin(yaw_), std::sin(pitch_));
}

glm::vec3 OrbitCamera::right() const { return glm::normalize(glm::cross(forward(), world_up())); }

glm::vec3 OrbitCamera::up() const { return glm::cross(right(), forward()); }

glm::mat4 OrbitCamera::view_matrix() const { return glm::lookAtRH(eye(), target_, world_up()); }

glm::mat4 OrbitCamera::projection_matrix(float aspect) const {
  glm::mat4 projection = glm::perspectiveRH_ZO(fov_y_, aspect > 0.0f ? aspect : 1.0f, settings_.near_plane,
                                               settings_.far_plane);
  projection[1][1] *= -1.0f;  // Vulkan's NDC y points down
  return projection;
}

glm::vec3 OrbitCamera::unproject(float ndc_x, float ndc_y, float depth, float aspect) const {
  const glm::vec4 world = glm::inverse(view_projection(aspect)) * glm::vec4(ndc_x, ndc_y, depth, 1.0f);
  return glm::vec3(world) / world.w;
}

Ray OrbitCamera::pick_ray(float ndc_x, float ndc_y, float aspect) const {
  const glm::vec3 origin = eye();
  return {origin, glm::normalize(unproject(ndc_x, ndc_y, 1.0f, aspect) - origin)};
}

void apply_mouse_drag(OrbitCamera& camera, MouseButton button, bool shift, float dx, float dy,
                      float viewport_height) {
  switch (button) {
    case MouseButton::Left:
      if (shift) {
        camera.pan(dx, dy, viewport_height);
      } else {
        camera.orbit(dx, dy, viewport_height);
      }
      break;
    case MouseButton::Right:
      camera.pan(dx, dy, viewport_height);
      break;
    case MouseButton::Middle:
      camera.dolly(-dy / 20.0f);  // like three.js: drag up = closer
      break;
  }
}

}  // namespace shape::render
