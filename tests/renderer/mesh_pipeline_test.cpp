// The mesh pipeline on lavapipe: lighting and colour, depth test, wireframe modes, mesh replacement.
#include "renderer/image_display.h"
#include "renderer/mesh_pipeline.h"
#include "renderer/offscreen_target.h"
#include "renderer/orbit_camera.h"
#include "test_meshes.h"
#include "test_support.h"

#include <vector>

namespace shape::render {
namespace {

using testing::channel_distance;
using testing::count_pixels_unlike;
using testing::Rgba;
using RendererMeshPipeline = testing::HeadlessVulkanTest;

constexpr uint32_t kSize = 128;
const ClearColor kClear{0.0f, 0.0f, 0.0f, 1.0f};
const Rgba kBackground{0, 0, 0, 255};

// Looking straight along +Y at the origin (eye at (0, -4, 0)).
OrbitCamera front_camera() {
  OrbitCamera camera;
  camera.set_angles(-1.5707963f, 0.0f);
  return camera;
}

RgbaImage render_mesh(OffscreenTarget& target, const MeshPipeline& pipeline, const OrbitCamera& camera,
                      const MeshDrawOptions& options = {}) {
  const VkExtent2D extent = target.extent();
  target.render([&](const ActivePass& pass) {
    pipeline.draw(pass, {0, 0, static_cast<float>(extent.width), static_cast<float>(extent.height)}, camera, options);
  }, kClear);
  return target.read_back();
}

TEST_F(RendererMeshPipeline, LitCubeFaceShowsItsColourAtTheCentre) {
  OffscreenTarget target(context(), {kSize, kSize});
  MeshPipeline pipeline(context(), target.render_pass());
  pipeline.upload(testing::make_cube(0.5f, {1.0f, 0.0f, 0.0f}));
  EXPECT_EQ(pipeline.triangle_count(), 12u);

  const RgbaImage front = render_mesh(target, pipeline, front_camera());
  testing::save_test_png(front, "mesh_cube_front");
  // Face normal points at the headlight: full diffuse, linear 1.0 → sRGB 255.
  const Rgba centre = front.at(kSize / 2, kSize / 2);
  EXPECT_GE(centre[0], 250);
  EXPECT_LE(centre[1], 2);
  EXPECT_LE(centre[2], 2);
  EXPECT_EQ(front.at(2, 2), kBackground);
  EXPECT_GT(count_pixels_unlike(front, kBackground), 500u);

  // Default (shap-e) view: several faces at different angles, all red, shaded darker than head-on.
  const RgbaImage angled = render_mesh(target, pipeline, OrbitCamera());
  testing::save_test_png(angled, "mesh_cube_default_view");
  const Rgba angled_centre = angled.at(kSize / 2, kSize / 2);
  EXPECT_GT(angled_centre[0], 100);
  EXPECT_LT(angled_centre[0], 250);
  EXPECT_LE(angled_centre[1], 2);
}

TEST_F(RendererMeshPipeline, DepthTestLetsTheNearSurfaceWin) {
  OffscreenTarget target(context(), {kSize, kSize});
  MeshPipeline pipeline(context(), target.render_pass());
  const shape::Mesh near_green = testing::make_square_facing_minus_y(-0.5f, 0.4f, {0.0f, 1.0f, 0.0f});
  const shape::Mesh far_red = testing::make_square_facing_minus_y(0.5f, 0.8f, {1.0f, 0.0f, 0.0f});
  // Draw order must not matter: near first, then near last.
  for (const shape::Mesh& mesh : {testing::merge(near_green, far_red), testing::merge(far_red, near_green)}) {
    pipeline.upload(mesh);
    const RgbaImage image = render_mesh(target, pipeline, front_camera());
    const Rgba centre = image.at(kSize / 2, kSize / 2);
    EXPECT_LE(centre[0], 2);
    EXPECT_GE(centre[1], 250);
    // The far square is larger: its rim shows red around the near one.
    const Rgba rim = image.at(kSize / 2, 38);  // far square spans rows ~33..95, near ~44..84
    EXPECT_GE(rim[0], 250);
    EXPECT_LE(rim[1], 2);
  }
}

TEST_F(RendererMeshPipeline, WireframeDiffersFromSolidAndMatchesTheLineListFallback) {
  OffscreenTarget target(context(), {kSize, kSize});
  MeshPipeline polygon_mode(context(), target.render_pass());
  MeshPipeline line_list(context(), target.render_pass(), MeshPipelineOptions{true});
  EXPECT_EQ(polygon_mode.wireframe_uses_polygon_mode(), context().device_info().fill_mode_non_solid);
  EXPECT_FALSE(line_list.wireframe_uses_polygon_mode());
  const shape::Mesh cube = testing::make_cube(0.5f, {0.2f, 0.6f, 1.0f});
  polygon_mode.upload(cube);
  line_list.upload(cube);

  const OrbitCamera camera;
  const RgbaImage solid = render_mesh(target, polygon_mode, camera);
  const RgbaImage wire = render_mesh(target, polygon_mode, camera, {MeshShading::Wireframe});
  const RgbaImage wire_lines = render_mesh(target, line_list, camera, {MeshShading::Wireframe});
  const RgbaImage overlay = render_mesh(target, polygon_mode, camera, {MeshShading::SolidWithWireframe});
  testing::save_test_png(wire, "mesh_cube_wireframe");
  testing::save_test_png(wire_lines, "mesh_cube_wireframe_line_list");
  testing::save_test_png(overlay, "mesh_cube_solid_with_wireframe");

  const std::size_t solid_pixels = count_pixels_unlike(solid, kBackground);
  const std::size_t wire_pixels = count_pixels_unlike(wire, kBackground);
  const std::size_t line_pixels = count_pixels_unlike(wire_lines, kBackground);
  EXPECT_GT(wire_pixels, 100u);
  EXPECT_LT(wire_pixels, solid_pixels / 2);  // face interiors are empty
  EXPECT_EQ(wire.at(kSize / 2 + 10, kSize / 2 + 10), kBackground);
  // Both wireframe paths draw the same edges.
  const double ratio = static_cast<double>(line_pixels) / static_cast<double>(wire_pixels);
  EXPECT_GT(ratio, 0.8);
  EXPECT_LT(ratio, 1.25);

  // The overlay covers what the solid covers (plus silhouette lines a fraction of a pixel outside
  // it), with dark edge pixels on top.
  std::size_t dark_edges = 0;
  std::size_t uncovered = 0;
  for (uint32_t y = 0; y < kSize; ++y) {
    for (uint32_t x = 0; x < kSize; ++x) {
      const Rgba s = solid.at(x, y);
      const Rgba o = overlay.at(x, y);
      if (s != kBackground && o == kBackground) ++uncovered;
      if (s != kBackground && o[0] < 40 && o[1] < 40 && o[2] < 40) ++dark_edges;
    }
  }
  EXPECT_EQ(uncovered, 0u);
  EXPECT_LT(count_pixels_unlike(overlay, kBackground, 0), solid_pixels * 11 / 10);
  EXPECT_GT(dark_edges, 100u);
}

TEST_F(RendererMeshPipeline, UploadReplacesThePreviousMesh) {
  OffscreenTarget target(context(), {kSize, kSize});
  MeshPipeline pipeline(context(), target.render_pass());
  pipeline.upload(testing::make_cube(0.5f, {1.0f, 0.0f, 0.0f}));
  pipeline.upload(testing::make_cube(0.3f, {0.0f, 0.0f, 1.0f}));
  const RgbaImage image = render_mesh(target, pipeline, front_camera());
  const Rgba centre = image.at(kSize / 2, kSize / 2);
  EXPECT_LE(centre[0], 2);
  EXPECT_GE(centre[2], 250);
  // The smaller cube: the old cube's extent is background now (0.5 vs 0.3 half size at distance 4).
  EXPECT_EQ(image.at(kSize / 2, 42), kBackground);

  pipeline.upload(shape::Mesh{});
  EXPECT_FALSE(pipeline.has_mesh());
  EXPECT_EQ(count_pixels_unlike(render_mesh(target, pipeline, front_camera()), kBackground, 0), 0u);
}

TEST_F(RendererMeshPipeline, MeshWithoutNormalsOrColoursIsLitGrey) {
  OffscreenTarget target(context(), {kSize, kSize});
  MeshPipeline pipeline(context(), target.render_pass());
  shape::Mesh cube = testing::make_cube(0.5f, {1.0f, 1.0f, 1.0f});
  cube.normals.clear();
  cube.colors.clear();
  pipeline.upload(cube);
  const RgbaImage image = render_mesh(target, pipeline, front_camera());
  const Rgba centre = image.at(kSize / 2, kSize / 2);
  EXPECT_EQ(centre[0], centre[1]);
  EXPECT_EQ(centre[1], centre[2]);
  EXPECT_GT(centre[0], 150);  // linear 0.6 at full diffuse → sRGB ≈ 203
}

// Split view with one shared camera: NeRF image on the left, mesh on the right, as the GUI draws.
TEST_F(RendererMeshPipeline, SplitViewDrawsImageAndMeshSideBySide) {
  OffscreenTarget target(context(), {512, 256});
  ImageDisplay display(context(), target.render_pass());
  MeshPipeline pipeline(context(), target.render_pass());
  std::vector<uint8_t> checker(64 * 64 * 4);
  for (uint32_t y = 0; y < 64; ++y) {
    for (uint32_t x = 0; x < 64; ++x) {
      const uint8_t v = ((x / 8 + y / 8) % 2) ? 230 : 40;
      uint8_t* p = &checker[(y * 64 + x) * 4];
      p[0] = v;
      p[1] = v;
      p[2] = static_cast<uint8_t>(255 - v);
      p[3] = 255;
    }
  }
  display.set_image(checker.data(), 64, 64);
  pipeline.upload(testing::make_sphere(0.8f, 48, 24));
  const OrbitCamera camera;
  const ViewLayout layout = layout_views(ViewMode::Split, {0, 0, 512, 256}, 4.0f);
  target.render([&](const ActivePass& pass) {
    display.draw(pass, layout.image);
    pipeline.draw(pass, layout.mesh, camera, {MeshShading::SolidWithWireframe});
  }, ClearColor{0.1f, 0.1f, 0.12f, 1.0f});
  const RgbaImage image = target.read_back();
  testing::save_test_png(image, "split_view");
  const Rgba background{26, 26, 31, 255};  // the clear colour
  // Left view: the checker (pillarboxed 254×256 → almost full); right view: the sphere in its centre.
  EXPECT_NE(image.at(64, 128), background);
  EXPECT_NE(image.at(384, 128), background);
  EXPECT_EQ(image.at(255, 128), background);  // the gap between the views (x 254..257)
  EXPECT_EQ(image.at(510, 5), background);    // the mesh view's corner
}

}  // namespace
}  // namespace shape::render
