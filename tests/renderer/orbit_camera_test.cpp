// Orbit camera maths: conventions (three.js / model-viewer, Z up), clamps, and Vulkan matrices.
#include "renderer/orbit_camera.h"

#include <gtest/gtest.h>

#include <cmath>

namespace shape::render {
namespace {

constexpr float kEps = 1e-4f;

void expect_near(const glm::vec3& actual, const glm::vec3& expected, float eps = kEps) {
  EXPECT_NEAR(actual.x, expected.x, eps);
  EXPECT_NEAR(actual.y, expected.y, eps);
  EXPECT_NEAR(actual.z, expected.z, eps);
}

// Pixel position of a world point in a width × height view (y down).
glm::vec2 to_pixels(const OrbitCamera& camera, const glm::vec3& point, float width, float height) {
  const glm::vec4 clip = camera.view_projection(width / height) * glm::vec4(point, 1.0f);
  const glm::vec2 ndc = glm::vec2(clip) / clip.w;
  return {(ndc.x + 1.0f) * 0.5f * width, (ndc.y + 1.0f) * 0.5f * height};
}

TEST(OrbitCamera, DefaultMatchesShapEFirstPanCamera) {
  const OrbitCamera camera;
  // shap-e create_pan_cameras, theta = 0: origin = -4 * normalize(0, 1, -0.5), x = (1, 0, 0).
  const glm::vec3 direction = glm::normalize(glm::vec3(0.0f, 1.0f, -0.5f));
  expect_near(camera.eye(), -4.0f * direction);
  expect_near(camera.forward(), direction);
  expect_near(camera.right(), {1.0f, 0.0f, 0.0f});
  EXPECT_GT(camera.up().z, 0.0f);
  expect_near(camera.target(), {0.0f, 0.0f, 0.0f});
  EXPECT_FLOAT_EQ(camera.distance(), 4.0f);
  EXPECT_FLOAT_EQ(camera.fov_y(), 0.7f);
  expect_near(camera.world_up(), {0.0f, 0.0f, 1.0f});
}

TEST(OrbitCamera, OrbitKeepsUpAxisTargetAndDistance) {
  OrbitCamera camera;
  camera.orbit(137.0f, -41.0f, 600.0f);
  EXPECT_NEAR(camera.right().z, 0.0f, kEps);  // horizon stays level: no roll
  EXPECT_GT(camera.up().z, 0.0f);
  EXPECT_NEAR(glm::length(camera.eye() - camera.target()), 4.0f, kEps);
  expect_near(camera.target(), {0.0f, 0.0f, 0.0f});
}

TEST(OrbitCamera, HorizontalDragTurnsAboutWorldUpByTwoPiPerViewHeight) {
  OrbitCamera camera;
  const float eye_height = camera.eye().z;
  const float yaw = camera.yaw();
  camera.orbit(150.0f, 0.0f, 600.0f);  // a quarter of the view height → a quarter turn
  EXPECT_NEAR(camera.eye().z, eye_height, kEps);
  EXPECT_NEAR(camera.yaw(), yaw - 1.5707963f, kEps);
}

TEST(OrbitCamera, DragRightMovesEyeLeftSoObjectFollowsPointer) {
  OrbitCamera camera;
  const glm::vec3 right_before = camera.right();
  const glm::vec3 eye_before = camera.eye();
  camera.orbit(10.0f, 0.0f, 600.0f);
  EXPECT_LT(glm::dot(camera.eye() - eye_before, right_before), 0.0f);
  // Dragging down raises the eye.
  const float height_before = camera.eye().z;
  camera.orbit(0.0f, 10.0f, 600.0f);
  EXPECT_GT(camera.eye().z, height_before);
}

TEST(OrbitCamera, PitchIsClampedShortOfThePoles) {
  OrbitCamera camera;
  camera.orbit(0.0f, 1e5f, 600.0f);
  EXPECT_FLOAT_EQ(camera.pitch(), camera.settings().max_pitch);
  camera.orbit(0.0f, -1e6f, 600.0f);
  EXPECT_FLOAT_EQ(camera.pitch(), -camera.settings().max_pitch);
  const glm::mat4 view = camera.view_matrix();
  for (int c = 0; c < 4; ++c) {
    for (int r = 0; r < 4; ++r) EXPECT_TRUE(std::isfinite(view[c][r]));
  }
  EXPECT_GT(camera.up().z, 0.0f);
}

TEST(OrbitCamera, PanMovesTargetSoThePointUnderThePointerFollowsIt) {
  OrbitCamera camera;
  const float width = 800.0f;
  const float height = 600.0f;
  const glm::vec3 offset = camera.eye() - camera.target();
  const glm::vec2 before = to_pixels(camera, {0.0f, 0.0f, 0.0f}, width, height);
  camera.pan(40.0f, -25.0f, height);
  const glm::vec2 after = to_pixels(camera, {0.0f, 0.0f, 0.0f}, width, height);
  EXPECT_NEAR(after.x - before.x, 40.0f, 0.01f);
  EXPECT_NEAR(after.y - before.y, -25.0f, 0.01f);
  expect_near(camera.eye() - camera.target(), offset);  // eye moves with the target
  EXPECT_FLOAT_EQ(camera.distance(), 4.0f);
}

TEST(OrbitCamera, DollyScalesDistanceWithinClamp) {
  OrbitCamera camera;
  camera.dolly(1.0f);
  EXPECT_NEAR(camera.distance(), 4.0f * camera.settings().dolly_step, kEps);
  camera.dolly(-1.0f);
  EXPECT_NEAR(camera.distance(), 4.0f, kEps);
  camera.dolly(1000.0f);
  EXPECT_FLOAT_EQ(camera.distance(), camera.settings().min_distance);
  camera.dolly(-1000.0f);
  EXPECT_FLOAT_EQ(camera.distance(), camera.settings().max_distance);
  expect_near(camera.target(), {0.0f, 0.0f, 0.0f});
}

TEST(OrbitCamera, RefocusLooksAtNewPointKeepingViewDirectionAndDistance) {
  OrbitCamera camera;
  camera.orbit(60.0f, 20.0f, 600.0f);
  const glm::vec3 forward = camera.forward();
  const glm::vec3 point{0.3f, -0.2f, 0.5f};
  camera.refocus(point);
  expect_near(camera.target(), point);
  expect_near(camera.forward(), forward);
  EXPECT_NEAR(glm::length(camera.eye() - point), 4.0f, kEps);
  const glm::vec2 centre = to_pixels(camera, point, 640.0f, 480.0f);
  EXPECT_NEAR(centre.x, 320.0f, 0.01f);
  EXPECT_NEAR(centre.y, 240.0f, 0.01f);
}

TEST(OrbitCamera, ResetRestoresTheInitialView) {
  OrbitCameraSettings settings;
  settings.distance = 3.0f;
  OrbitCamera camera(settings);
  const glm::vec3 eye = camera.eye();
  camera.orbit(100.0f, 30.0f, 500.0f);
  camera.pan(10.0f, 10.0f, 500.0f);
  camera.dolly(3.0f);
  camera.set_fov_y(1.0f);
  camera.reset();
  expect_near(camera.eye(), eye);
  expect_near(camera.target(), settings.target);
  EXPECT_FLOAT_EQ(camera.distance(), 3.0f);
  EXPECT_FLOAT_EQ(camera.fov_y(), settings.fov_y);
}

// A framed sphere fits the narrower field of view of a tall view with the margin to spare, whatever
// the angles, which frame() keeps; reset() comes back to the framed view.
TEST(OrbitCamera, FrameFitsASphereIntoTheNarrowerFieldOfView) {
  OrbitCamera camera;
  camera.orbit(80.0f, -40.0f, 500.0f);
  const float yaw = camera.yaw(), pitch = camera.pitch();
  const glm::vec3 centre{0.2f, -0.1f, 0.3f};
  const float radius = 0.8f, aspect = 0.585f;  // a split pane of a 1280x800 window
  camera.frame(centre, radius, aspect);
  EXPECT_FLOAT_EQ(camera.yaw(), yaw);
  EXPECT_FLOAT_EQ(camera.pitch(), pitch);
  expect_near(camera.target(), centre);
  float widest = 0.0f;
  for (const glm::vec3 offset : {camera.right(), -camera.right(), camera.up(), -camera.up(), glm::vec3(0, 0, 1),
                                 glm::vec3(0, 0, -1), glm::vec3(1, 0, 0), glm::vec3(-1, 0, 0)}) {
    const glm::vec4 clip = camera.view_projection(aspect) * glm::vec4(centre + radius * offset, 1.0f);
    const float x = clip.x / clip.w, y = clip.y / clip.w;
    EXPECT_LT(std::abs(x), 0.95f);
    EXPECT_LT(std::abs(y), 0.95f);
    widest = std::max(widest, std::abs(x));
  }
  EXPECT_GT(widest, 0.8f);  // fitted, not merely inside: the sphere's width is ~1/1.15 of the view's
  camera.orbit(50.0f, 20.0f, 500.0f);
  camera.dolly(2.0f);
  camera.reset();
  expect_near(camera.target(), centre);
}

TEST(OrbitCamera, ProjectionUsesVulkanClipConventions) {
  OrbitCamera camera;
  const float aspect = 1.5f;
  const glm::mat4 view_projection = camera.view_projection(aspect);
  auto ndc = [&](const glm::vec3& p) {
    const glm::vec4 clip = view_projection * glm::vec4(p, 1.0f);
    return glm::vec3(clip) / clip.w;
  };
  expect_near(ndc(camera.target()), {0.0f, 0.0f, ndc(camera.target()).z});
  EXPECT_LT(ndc(camera.target() + 0.5f * camera.up()).y, 0.0f);    // up on screen = -y in Vulkan NDC
  EXPECT_GT(ndc(camera.target() + 0.5f * camera.right()).x, 0.0f);  // right = +x
  const OrbitCameraSettings& s = camera.settings();
  EXPECT_NEAR(ndc(camera.eye() + s.near_plane * camera.forward()).z, 0.0f, kEps);
  EXPECT_NEAR(ndc(camera.eye() + s.far_plane * camera.forward()).z, 1.0f, kEps);
  // The vertical field of view: a point at the top edge of the frustum lands on NDC y = -1.
  const float half_height = camera.distance() * std::tan(camera.fov_y() * 0.5f);
  EXPECT_NEAR(ndc(camera.target() + half_height * camera.up()).y, -1.0f, kEps);
  EXPECT_NEAR(ndc(camera.target() + half_height * aspect * camera.right()).x, 1.0f, kEps);
}

TEST(OrbitCamera, UnprojectInvertsProjection) {
  OrbitCamera camera;
  camera.orbit(33.0f, 12.0f, 400.0f);
  const glm::vec3 point{0.2f, 0.1f, -0.3f};
  const glm::vec4 clip = camera.view_projection(1.25f) * glm::vec4(point, 1.0f);
  const glm::vec3 ndc = glm::vec3(clip) / clip.w;
  expect_near(camera.unproject(ndc.x, ndc.y, ndc.z, 1.25f), point, 1e-3f);
}

TEST(OrbitCamera, MouseDragRoutingFollowsViewerConventions) {
  OrbitCamera left;
  apply_mouse_drag(left, MouseButton::Left, false, 30.0f, 0.0f, 600.0f);
  EXPECT_NE(left.yaw(), OrbitCamera().yaw());
  expect_near(left.target(), {0.0f, 0.0f, 0.0f});

  OrbitCamera shift_left;
  apply_mouse_drag(shift_left, MouseButton::Left, true, 30.0f, 0.0f, 600.0f);
  EXPECT_FLOAT_EQ(shift_left.yaw(), OrbitCamera().yaw());
  EXPECT_LT(shift_left.target().x, 0.0f);  // scene follows the pointer right: target moves left

  OrbitCamera right;
  apply_mouse_drag(right, MouseButton::Right, false, 30.0f, 0.0f, 600.0f);
  expect_near(right.target(), shift_left.target());

  OrbitCamera middle;
  apply_mouse_drag(middle, MouseButton::Middle, false, 0.0f, -20.0f, 600.0f);  // drag up = closer
  EXPECT_LT(middle.distance(), 4.0f);
}

}  // namespace
}  // namespace shape::render
