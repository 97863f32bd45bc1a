// An orbit camera with three.js OrbitControls / model-viewer conventions, for Shap-E's Z-up world:
//   left-drag orbits about the target (world up +Z kept, pitch clamped short of the poles),
//   right-drag or shift+left-drag pans (the point under the cursor follows it),
//   the wheel dollies towards the target (distance clamped), double-click refocuses, a key resets.
// Pure math (glm), no Vulkan: the NeRF renderer and the mesh view both read the same camera.
//
// Angles: yaw is the azimuth of the eye about +Z measured from +X, pitch its elevation above the
// XY plane. The default view is Shap-E's first "pan camera" (create_pan_cameras, theta = 0): eye at
// distance 4 on the -Y side, atan(0.5) ≈ 26.6° above the XY plane, looking at the origin, 0.7 rad
// field of view, so +X points right and +Z up on screen.
#pragma once

#include "renderer/picking.h"

#include <glm/glm.hpp>

namespace shape::render {

struct OrbitCameraSettings {
  glm::vec3 target{0.0f, 0.0f, 0.0f};
  float distance = 4.0f;
  float yaw = -1.5707963f;       // eye on the -Y axis
  float pitch = 0.46364761f;     // atan(0.5)
  float fov_y = 0.7f;            // vertical field of view, radians
  float min_distance = 0.25f;    // Shap-E objects fit in [-1, 1]^3
  float max_distance = 50.0f;
  float max_pitch = 1.5533430f;  // 89°: the view never flips over the pole
  float near_plane = 0.01f;
  float far_plane = 100.0f;
  float orbit_speed = 1.0f;      // 1 = a drag over the whole view height turns 2π (three.js)
  float dolly_step = 0.9f;       // distance factor per wheel step towards the target
};

class OrbitCamera {
 public:
  explicit OrbitCamera(const OrbitCameraSettings& settings = {});

  // Mouse interaction. dx, dy: pointer motion in pixels (y down); viewport_height: the height of the
  // view being dragged in, so the same drag turns/pans the same on any window size.
  void orbit(float dx, float dy, float viewport_height);
  void pan(float dx, float dy, float viewport_height);
  // Positive steps (wheel up) move towards the target; the distance stays within [min, max].
  void dolly(float wheel_steps);
  // Looks at a new point (e.g. the surface point under a double-click), keeping angles and distance.
  void refocus(const glm::vec3& target);
  // Back to the settings the camera was made with, or to the last frame() (the home view).
  void reset();
  // Fits a sphere into views of `aspect` (width / height) with `margin` to spare (1.15: 15% of the
  // radius on each side of the narrower field of view): it becomes the target and sets the distance,
  // and reset() returns there. The angles stay as the user left them.
  void frame(const glm::vec3& center, float radius, float aspect, float margin = 1.15f);

  void set_target(const glm::vec3& target) { target_ = target; }
  void set_distance(float distance);
  void set_angles(float yaw, float pitch);
  void set_fov_y(float fov_y) { fov_y_ = fov_y; }

  glm::vec3 eye() const;
  const glm::vec3& target() const { return target_; }
  glm::vec3 world_up() const { return {0.0f, 0.0f, 1.0f}; }
  glm::vec3 forward() const;  // unit, eye → target
  glm::vec3 right() const;    // unit, screen right
  glm::vec3 up() const;       // unit, screen up (orthogonal to forward)
  float distance() const { return distance_; }
  float yaw() const { return yaw_; }
  float pitch() const { return pitch_; }
  float fov_y() const { return fov_y_; }
  const OrbitCameraSettings& settings() const { return settings_; }

  // Right-handed view matrix (glm::lookAt with world up +Z).
  glm::mat4 view_matrix() const;
  // Vulkan clip space: y points down in NDC, depth in [0, 1] (near → 0).
  glm::mat4 projection_matrix(float aspect) const;
  glm::mat4 view_projection(float aspect) const { return projection_matrix(aspect) * view_matrix(); }
  // World point at Vulkan NDC (x right, y down, both in [-1, 1]) and depth in [0, 1].
  glm::vec3 unproject(float ndc_x, float ndc_y, float depth, float aspect) const;
  // The ray from the eye through Vulkan NDC (x, y), for picking (see picking.h).
  Ray pick_ray(float ndc_x, float ndc_y, float aspect) const;

 private:
  OrbitCameraSettings settings_;
  glm::vec3 target_;
  float distance_;
  float yaw_;
  float pitch_;
  float fov_y_;
};

enum class MouseButton { Left, Right, Middle };

// Routes a drag by button: left orbits, right or shift+left pans, middle dollies (drag up = closer,
// 1 wheel step per 20 px).
void apply_mouse_drag(OrbitCamera& camera, MouseButton button, bool shift, float dx, float dy,
                      float viewport_height);

}  // namespace shape::render
