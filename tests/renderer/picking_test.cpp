// Picking for double-click refocus: pixel → ray → nearest mesh hit.
#include "renderer/orbit_camera.h"
#include "renderer/picking.h"
#include "test_meshes.h"

#include <gtest/gtest.h>

namespace shape::render {
namespace {

TEST(RendererPicking, ViewCentreMapsToNdcOrigin) {
  const ViewRect view{100, 50, 200, 100};
  const glm::vec2 centre = view_to_ndc(200, 100, view);
  EXPECT_FLOAT_EQ(centre.x, 0.0f);
  EXPECT_FLOAT_EQ(centre.y, 0.0f);
  const glm::vec2 corner = view_to_ndc(100, 50, view);
  EXPECT_FLOAT_EQ(corner.x, -1.0f);
  EXPECT_FLOAT_EQ(corner.y, -1.0f);
}

TEST(RendererPicking, RayThroughTheCentreHitsTheNearFaceAndRefocusesThere) {
  OrbitCamera camera;
  camera.set_angles(-1.5707963f, 0.0f);  // looking along +Y
  const shape::Mesh cube = testing::make_cube(0.5f, {1, 1, 1});
  const auto hit = intersect_mesh(camera.pick_ray(0.0f, 0.0f, 1.0f), cube.positions, cube.triangles);
  ASSERT_TRUE(hit.has_value());
  EXPECT_NEAR(hit->x, 0.0f, 1e-4f);
  EXPECT_NEAR(hit->y, -0.5f, 1e-4f);  // the face towards the camera, not the one behind
  EXPECT_NEAR(hit->z, 0.0f, 1e-4f);
  camera.refocus(*hit);
  EXPECT_NEAR(glm::length(camera.eye() - *hit), 4.0f, 1e-4f);
}

TEST(RendererPicking, OffCentreRayFollowsThePixelAndMissesReturnNothing) {
  OrbitCamera camera;
  const shape::Mesh cube = testing::make_cube(0.5f, {1, 1, 1});
  // A point on the cube projects to some NDC; the ray through that NDC hits the cube there (or in
  // front of it).
  const glm::vec3 corner_region{0.45f, -0.5f, 0.3f};
  const glm::vec4 clip = camera.view_projection(1.5f) * glm::vec4(corner_region, 1.0f);
  const auto hit = intersect_mesh(camera.pick_ray(clip.x / clip.w, clip.y / clip.w, 1.5f), cube.positions,
                                  cube.triangles);
  ASSERT_TRUE(hit.has_value());
  EXPECT_NEAR(glm::length(*hit - corner_region), 0.0f, 1e-3f);
  EXPECT_FALSE(intersect_mesh(camera.pick_ray(0.95f, -0.95f, 1.5f), cube.positions, cube.triangles).has_value());
}

}  // namespace
}  // namespace shape::render
