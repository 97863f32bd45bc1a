// Exports opened where users open them: Blender 3.4 (headless import), f3d and three.js (in headless
// Chromium). Each must show the mesh upright and, where the format and the viewer allow, coloured;
// what a viewer cannot show is asserted too, so README's "Opening exports" stays true. The tools are
// Debian packages (blender, f3d, chromium) and npm's three (tests/tools); a test skips when its
// tool is missing, and fails instead under SHAPE_REQUIRE_VIEWERS=1 (CI). f3d needs an X display.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "inference/checkpoint/json_parser.h"
#include "inference/clip/image_file.h"
#include "inference/export/mesh_export.h"
#include "inference/mesh/marching_cubes.h"
#include "inference/mesh/mesh_ops.h"
#include "tests/inference/checkpoint_test_util.h"
#include "tests/shell_command.h"

namespace shape {
namespace {

namespace fs = std::filesystem;
using checkpoint_detail::JsonValue;
using checkpoint_test::TempDir;
using testing::run_shell;
using testing::shell_quoted;

constexpr float kConeHeight = 1.2f;  // along Shap-E's +Z, the apex on top; base diameter 0.7
constexpr std::array<float, 3> kConeColour = {0.8f, 0.05f, 0.05f};  // linear RGB
// Colours arrive through 8-bit sRGB bytes (PLY, Blender's byte attributes) or 32-bit floats.
constexpr double kColourTolerance = 2.0 / 255.0;
constexpr double kPositionTolerance = 1e-4;

double srgb_from_linear(double value) {
  return value <= 0.0031308 ? 12.92 * value : 1.055 * std::pow(value, 1.0 / 2.4) - 0.055;
}

// A red cone, apex up, meshed by marching cubes like the STF decoder's output.
Mesh red_cone() {
  const int64_t n = 40;
  auto axis = torch::linspace(-1.0, 1.0, n, torch::kFloat32);
  auto grids = torch::meshgrid({axis, axis, axis}, "ij");
  const float half = kConeHeight / 2;
  auto radius_here = 0.35f * (half - grids[2]) / kConeHeight;
  auto side = radius_here - (grids[0].square() + grids[1].square()).sqrt();
  auto field = torch::minimum(side, torch::minimum(grids[2] + half, half - grids[2]));
  auto surface = marching_cubes(field, {-1, -1, -1}, {2, 2, 2});
  auto colours = torch::tensor({kConeColour[0], kConeColour[1], kConeColour[2]}).expand_as(surface.vertices);
  return mesh_from_tensors(surface.vertices, surface.faces, colours.contiguous());
}

bool viewers_required() {
  const char* required = std::getenv("SHAPE_REQUIRE_VIEWERS");
  return required && *required && std::string(required) != "0";
}

bool installed(const std::string& program) { return run_shell("command -v " + program).exit_code == 0; }

#define SKIP_UNLESS(condition, what)                                  \
  do {                                                                \
    if (!(condition)) {                                               \
      if (viewers_required()) FAIL() << (what) << " is not available"; \
      GTEST_SKIP() << (what) << " is not available";                  \
    }                                                                 \
  } while (false)

fs::path test_tools_dir() { return fs::path(SHAPE_TEST_TOOLS_DIR); }

// The JSON after `marker` on the output's line that starts with it.
JsonValue json_after(const std::string& output, const std::string& marker) {
  const size_t at = output.find(marker);
  if (at == std::string::npos) throw std::runtime_error("no '" + marker + "' line in: " + output);
  const size_t start = at + marker.size();
  return checkpoint_detail::parse_json(output.substr(start, output.find('\n', start) - start));
}

std::array<double, 3> numbers(const JsonValue& array) {
  return {array.as_array().at(0).as_double(), array.as_array().at(1).as_double(), array.as_array().at(2).as_double()};
}

void expect_cone_colour(const JsonValue& mean_srgb, const std::string& what) {
  ASSERT_FALSE(mean_srgb.is_null()) << what << ": no vertex colours";
  const auto mean = numbers(mean_srgb);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(mean[c], srgb_from_linear(kConeColour[c]), kColourTolerance) << what;
}

// The mesh's extent along Shap-E's axis `axis`.
double extent(const Mesh& mesh, int axis) {
  float low = INFINITY, high = -INFINITY;
  for (const auto& position : mesh.positions) {
    low = std::min(low, position[static_cast<size_t>(axis)]);
    high = std::max(high, position[static_cast<size_t>(axis)]);
  }
  return high - low;
}

// The bounding box of the cone standing upright on the ground: `up` from 0 to its height, which is
// its extent along Shap-E's Z, the other axes its base's.
void expect_standing_upright(const JsonValue& object, const Mesh& cone, int up, const std::string& what) {
  const auto min = numbers(object.at("min")), max = numbers(object.at("max"));
  EXPECT_NEAR(min[up], 0.0, kPositionTolerance) << what;
  EXPECT_NEAR(max[up] - min[up], extent(cone, 2), kPositionTolerance) << what;
  for (int axis = 0; axis < 3; ++axis) {
    if (axis != up) EXPECT_NEAR(max[axis] - min[axis], extent(cone, 0), kPositionTolerance) << what << ": axis " << axis;
  }
}

// What a screenshot shows: the pixels unlike the top-left corner's background.
struct Silhouette {
  int top = -1, bottom = -1;
  std::vector<int> row_widths;
  std::array<double, 3> mean_colour{};  // 0..255
};

Silhouette silhouette_of(const fs::path& screenshot) {
  const ImageU8 image = load_image_file(screenshot);
  const auto pixel = [&](int x, int y, int c) { return static_cast<int>(image.at(y, x, c)); };
  Silhouette result;
  result.row_widths.assign(static_cast<size_t>(image.height), 0);
  int64_t count = 0;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      int difference = 0;
      for (int c = 0; c < 3; ++c) difference += std::abs(pixel(x, y, c) - pixel(0, 0, c));
      if (difference < 30) continue;
      ++result.row_widths[static_cast<size_t>(y)];
      for (int c = 0; c < 3; ++c) result.mean_colour[static_cast<size_t>(c)] += pixel(x, y, c);
      ++count;
      if (result.top < 0) result.top = y;
      result.bottom = y;
    }
  }
  for (auto& channel : result.mean_colour) channel /= std::max<int64_t>(count, 1);
  return result;
}

// Apex up: near the top the silhouette is much narrower than near the bottom.
void expect_apex_up(const Silhouette& shape, const std::string& what) {
  ASSERT_GT(shape.bottom - shape.top, 20) << what << ": nothing drawn";
  const int height = shape.bottom - shape.top;
  const int near_top = shape.row_widths[static_cast<size_t>(shape.top + height / 5)];
  const int near_bottom = shape.row_widths[static_cast<size_t>(shape.bottom - height / 5)];
  EXPECT_LT(2 * near_top, near_bottom) << what << ": widths " << near_top << " near the top, " << near_bottom
                                       << " near the bottom";
}

// Clearly red on average, highlights and the edges' blend with the background included (grey would
// be 1:1:1).
void expect_red(const Silhouette& shape, const std::string& what) {
  const auto& colour = shape.mean_colour;
  EXPECT_GT(colour[0], 1.5 * colour[1]) << what << ": mean " << colour[0] << " " << colour[1] << " " << colour[2];
  EXPECT_GT(colour[0], 1.5 * colour[2]) << what;
}

class ExportViewers : public ::testing::Test {
 protected:
  // The user's defaults: +Y up, standing on the ground; `up_z` is --up z (PLY and OBJ only).
  fs::path write(const std::string& name, bool up_z = false) const {
    MeshExportOptions options;
    options.format = mesh_format_from_path(name);
    if (up_z) options.up = UpAxis::kZ;
    const fs::path path = dir_.path() / name;
    export_mesh(cone_, path, options);
    return path;
  }

  TempDir dir_;
  Mesh cone_ = red_cone();
};

JsonValue blender_import(const fs::path& file) {
  const auto result = run_shell("blender -b --factory-startup --python " +
                                shell_quoted((test_tools_dir() / "blender_probe.py").string()) + " -- " +
                                shell_quoted(file.string()));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  const JsonValue objects = json_after(result.output, "PROBE ");
  EXPECT_EQ(objects.as_array().size(), 1u) << result.output;
  return objects.as_array().at(0);
}

TEST_F(ExportViewers, BlenderImportsEveryFormatColouredAndUpright) {
  SKIP_UNLESS(installed("blender"), "blender (apt-get install blender)");
  constexpr int kBlenderUp = 2;  // Blender is Z-up; its glTF and OBJ importers turn Y-up files upright
  const JsonValue glb = blender_import(write("cone.glb"));
  expect_cone_colour(glb.at("mean_colour_srgb"), "GLB");
  EXPECT_TRUE(glb.at("material_shows_colours").as_bool()) << "GLB: the material should use COLOR_0";
  expect_standing_upright(glb, cone_, kBlenderUp, "GLB");

  // OBJ: Blender 3.4 reads `v x y z r g b` into a colour attribute, but an MTL material cannot use
  // it: the colours show in Solid mode with Color: Attribute.
  const JsonValue obj = blender_import(write("cone.obj"));
  expect_cone_colour(obj.at("mean_colour_srgb"), "OBJ");
  EXPECT_FALSE(obj.at("material_shows_colours").as_bool());
  expect_standing_upright(obj, cone_, kBlenderUp, "OBJ");

  // PLY: colours as an attribute (no material); Blender 3.4's PLY importer keeps the file's axes,
  // so a Y-up PLY lies on its side there and --up z stands it up.
  const JsonValue ply_y = blender_import(write("cone.ply"));
  expect_cone_colour(ply_y.at("mean_colour_srgb"), "PLY");
  expect_standing_upright(ply_y, cone_, 1, "PLY, +Y up");
  const JsonValue ply_z = blender_import(write("cone_z.ply", /*up_z=*/true));
  expect_cone_colour(ply_z.at("mean_colour_srgb"), "PLY --up z");
  expect_standing_upright(ply_z, cone_, kBlenderUp, "PLY --up z");
}

Silhouette f3d_screenshot(const fs::path& file, const fs::path& screenshot, const std::string& options = "") {
  const auto result = run_shell("f3d --dry-run --resolution 240,240 --output " + shell_quoted(screenshot.string()) +
                                " " + options + " " + shell_quoted(file.string()));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return silhouette_of(screenshot);
}

TEST_F(ExportViewers, F3dShowsEveryFormatUprightAndGlbAndPlyColoured) {
  SKIP_UNLESS(installed("f3d"), "f3d (apt-get install f3d)");
  SKIP_UNLESS(std::getenv("DISPLAY") != nullptr, "an X display for f3d");
  const Silhouette glb = f3d_screenshot(write("cone.glb"), dir_.path() / "glb.png");
  expect_apex_up(glb, "GLB");
  expect_red(glb, "GLB");
  // f3d colours a PLY by its vertex colours only when asked to: --scalars --comp=-2.
  const Silhouette ply = f3d_screenshot(write("cone.ply"), dir_.path() / "ply.png", "--scalars --comp=-2");
  expect_apex_up(ply, "PLY");
  expect_red(ply, "PLY");
  // f3d 1.3 reads OBJ through its MTL and ignores vertex colours: upright, in the MTL's white.
  expect_apex_up(f3d_screenshot(write("cone.obj"), dir_.path() / "obj.png"), "OBJ");
}

TEST_F(ExportViewers, ThreeJsShowsEveryFormatColouredAndUpright) {
  SKIP_UNLESS(fs::exists(test_tools_dir() / "node_modules" / "three" / "package.json"),
              "three.js (npm ci --prefix tests/tools)");
  SKIP_UNLESS(installed("chromium"), "chromium (apt-get install chromium)");
  constexpr int kThreeUp = 1;
  for (const std::string name : {"cone.glb", "cone.ply", "cone.obj"}) {
    const fs::path screenshot = dir_.path() / (name + ".png");
    const auto result = run_shell("node " + shell_quoted((test_tools_dir() / "three_view.mjs").string()) + " " +
                                  shell_quoted(write(name).string()) + " " + shell_quoted(screenshot.string()));
    ASSERT_EQ(result.exit_code, 0) << name << ": " << result.output;
    const JsonValue read = json_after(result.output, "THREE ");
    EXPECT_EQ(read.at("coloured_vertices").as_int64(), read.at("vertices").as_int64()) << name;
    expect_cone_colour(read.at("mean_colour_srgb"), name);
    expect_standing_upright(read, cone_, kThreeUp, name);
    const Silhouette drawn = silhouette_of(screenshot);
    expect_apex_up(drawn, name);
    expect_red(drawn, name);
  }
}

}  // namespace
}  // namespace shape
