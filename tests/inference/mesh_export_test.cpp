#include "inference/export/mesh_export.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <tiny_gltf.h>

#include "inference/export/axis_convention.h"
#include "inference/decoder/random_decoder.h"
#include "inference/export/mesh_import.h"
#include "inference/export/ply_format.h"
#include "tests/inference/golden.h"
#include "tests/inference/mesh_test_util.h"
#include "tests/shell_command.h"

namespace shape {
namespace {

namespace fs = std::filesystem;
using testing::max_difference;

// PLY's sRGB bytes round to half a step, which at the bright end is up to 1.14 / 255 in linear
// (the slope of sRGB -> linear reaches 2.27 there).
constexpr double kColorTolerance = 1.2 / 255.0;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// The Khronos glTF-Validator through tests/tools/gltf_validate.mjs (SHAPE_TEST_TOOLS_DIR overrides
// the tools directory). Installed by `npm ci --prefix tests/tools`.
fs::path test_tools_dir() {
  const char* from_environment = std::getenv("SHAPE_TEST_TOOLS_DIR");
  return from_environment && *from_environment ? fs::path(from_environment) : fs::path(SHAPE_TEST_TOOLS_DIR);
}

bool validator_installed() { return fs::exists(test_tools_dir() / "node_modules" / "gltf-validator" / "package.json"); }

// CI sets SHAPE_REQUIRE_GLTF_VALIDATOR=1 so that a missing validator fails instead of skipping.
bool validator_required() {
  const char* required = std::getenv("SHAPE_REQUIRE_GLTF_VALIDATOR");
  return required && *required && std::string(required) != "0";
}

#define SKIP_UNLESS_VALIDATOR_INSTALLED()                                                                  \
  do {                                                                                                     \
    if (!validator_installed()) {                                                                          \
      const std::string missing = "the Khronos glTF-Validator is not installed in " +                      \
                                  (test_tools_dir() / "node_modules").string() +                          \
                                  "; install it with: npm ci --prefix tests/tools";                       \
      if (validator_required()) FAIL() << missing;                                                         \
      GTEST_SKIP() << missing;                                                                             \
    }                                                                                                      \
  } while (false)

// Zero errors and zero warnings from the validator; its JSON summary is the failure message.
::testing::AssertionResult passes_gltf_validator(const fs::path& file) {
  const auto result = testing::run_shell("node " + testing::shell_quoted((test_tools_dir() / "gltf_validate.mjs").string()) +
                                         " --fail-on-warnings " + testing::shell_quoted(file.string()));
  if (result.exit_code == 0) return ::testing::AssertionSuccess() << result.output;
  return ::testing::AssertionFailure() << "validator exit status " << result.exit_code << ": " << result.output;
}

// Root ignores permission bits, so find out by trying.
bool can_create_file_in(const fs::path& directory) {
  const fs::path probe = directory / ".shape_studio_write_probe";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return false;
  ::close(fd);
  ::unlink(probe.c_str());
  return true;
}

class MeshExport : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("shape_mesh_export_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }

  void TearDown() override {
    std::error_code ignored;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ignored);
    fs::remove_all(dir_, ignored);
  }

  // Shap-E's coordinates and every triangle, so that files read back compare one to one.
  static MeshExportOptions exact(MeshFormat format, UpAxis up = UpAxis::kY) {
    MeshExportOptions options;
    options.format = format;
    options.weld = false;  // keep the vertex order
    options.target_triangles = 0;
    options.origin = MeshOrigin::kKeep;
    options.up = up;
    return options;
  }

  std::vector<std::string> directory_entries() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  // Positions and normals equal (the axis changes are exact), colours within one 8-bit step.
  static void expect_same_mesh(const Mesh& actual, const Mesh& expected, double color_tolerance) {
    EXPECT_EQ(actual.triangles, expected.triangles);
    EXPECT_LE(max_difference(actual.positions, expected.positions), 1e-6);
    EXPECT_LE(max_difference(actual.normals, expected.normals), 1e-6);
    EXPECT_LE(max_difference(actual.colors, expected.colors), color_tolerance);
  }

  fs::path dir_;
  Mesh sphere_ = testing::colored_sphere(24);
};

TEST_F(MeshExport, FormatFollowsTheExtension) {
  EXPECT_EQ(mesh_format_from_path("a/b.glb"), MeshFormat::kGlb);
  EXPECT_EQ(mesh_format_from_path("B.GLTF"), MeshFormat::kGltf);
  EXPECT_EQ(mesh_format_from_path("x.Ply"), MeshFormat::kPly);
  EXPECT_EQ(mesh_format_from_path("mesh.obj"), MeshFormat::kObj);
  EXPECT_THROW(mesh_format_from_path("mesh.stl"), ExportError);
  EXPECT_THROW(mesh_format_from_path("mesh"), ExportError);
  for (MeshFormat format : {MeshFormat::kGlb, MeshFormat::kGltf, MeshFormat::kPly, MeshFormat::kObj}) {
    EXPECT_EQ(mesh_format_from_path(std::string("m") + file_extension(format)), format);
  }
}

TEST_F(MeshExport, GlbRoundTripsAndIsYUp) {
  const fs::path path = dir_ / "sphere.glb";
  export_mesh(sphere_, path, exact(MeshFormat::kGlb));
  expect_same_mesh(read_gltf(path), sphere_, 1e-7);
  EXPECT_EQ(directory_entries(), std::vector<std::string>{"sphere.glb"});

  // In the file itself, Shap-E's +Z is +Y: POSITION's max y is the mesh's max z, and min z is -max y.
  tinygltf::TinyGLTF loader;
  tinygltf::Model model;
  std::string error, warning;
  ASSERT_TRUE(loader.LoadBinaryFromFile(&model, &error, &warning, path.string())) << error;
  const auto& position = model.accessors.at(static_cast<size_t>(model.meshes[0].primitives[0].attributes.at("POSITION")));
  float max_y = -INFINITY, max_z = -INFINITY;
  for (const auto& p : sphere_.positions) {
    max_y = std::max(max_y, p[1]);
    max_z = std::max(max_z, p[2]);
  }
  EXPECT_EQ(position.maxValues.at(1), max_z);
  EXPECT_EQ(position.minValues.at(2), -max_y);
  EXPECT_EQ(model.materials.at(0).pbrMetallicRoughness.metallicFactor, 0.0);
  EXPECT_TRUE(model.materials.at(0).doubleSided);
}

TEST_F(MeshExport, GlbPassesTheKhronosValidator) {
  SKIP_UNLESS_VALIDATOR_INSTALLED();
  const fs::path path = dir_ / "sphere.glb";
  export_mesh(sphere_, path, MeshExportOptions{});
  EXPECT_TRUE(passes_gltf_validator(path));
}

TEST_F(MeshExport, GltfWritesJsonAndBinAndPassesTheValidator) {
  const fs::path path = dir_ / "my sphere.gltf";
  export_mesh(sphere_, path, exact(MeshFormat::kGltf));
  EXPECT_EQ(directory_entries(), (std::vector<std::string>{"my sphere.gltf", "my_sphere.bin"}));
  EXPECT_NE(read_text(path).find("\"uri\": \"my_sphere.bin\""), std::string::npos);
  expect_same_mesh(read_gltf(path), sphere_, 1e-7);
  SKIP_UNLESS_VALIDATOR_INSTALLED();
  EXPECT_TRUE(passes_gltf_validator(path));
}

TEST_F(MeshExport, LargeMeshUsesUint32IndicesAndPassesTheValidator) {
  const Mesh plane = testing::grid_plane(300);  // 90000 vertices: more than uint16 indices can address
  const fs::path path = dir_ / "plane.glb";
  export_mesh(plane, path, exact(MeshFormat::kGlb));
  tinygltf::TinyGLTF loader;
  tinygltf::Model model;
  std::string error, warning;
  ASSERT_TRUE(loader.LoadBinaryFromFile(&model, &error, &warning, path.string())) << error;
  EXPECT_EQ(model.accessors.at(static_cast<size_t>(model.meshes[0].primitives[0].indices)).componentType,
            TINYGLTF_COMPONENT_TYPE_UNSIGNED_INT);
  expect_same_mesh(read_gltf(path), plane, 1e-7);
  SKIP_UNLESS_VALIDATOR_INSTALLED();
  EXPECT_TRUE(passes_gltf_validator(path));
}

TEST_F(MeshExport, UncolouredMeshWithoutNormalsExportsValidGlb) {
  Mesh mesh = sphere_;
  mesh.colors.clear();
  mesh.normals.clear();
  const fs::path path = dir_ / "plain.glb";
  export_mesh(mesh, path, exact(MeshFormat::kGlb));
  const Mesh read = read_gltf(path);
  EXPECT_TRUE(read.colors.empty());
  EXPECT_LE(max_difference(read.normals, sphere_.normals), 1e-6);  // computed the same way
  SKIP_UNLESS_VALIDATOR_INSTALLED();
  EXPECT_TRUE(passes_gltf_validator(path));
}

TEST_F(MeshExport, DecoderGoldenStfMeshExportsInEveryFormat) {
  // The official STF mesh of the decoder golden, with its sRGB->linear vertex colours: real
  // marching-cubes output, degenerate triangles included.
  auto golden = testing::load_golden("decoder");
  auto colors = torch::stack({golden.at("stf.mesh.vertex_channels.R"), golden.at("stf.mesh.vertex_channels.G"),
                              golden.at("stf.mesh.vertex_channels.B")}, 1);
  const Mesh mesh = mesh_from_tensors(golden.at("stf.mesh.verts"), golden.at("stf.mesh.faces"), colors);
  for (MeshFormat format : {MeshFormat::kGlb, MeshFormat::kGltf, MeshFormat::kPly, MeshFormat::kObj}) {
    const fs::path path = dir_ / (std::string("stf") + file_extension(format));
    export_mesh(mesh, path, exact(format));
    expect_same_mesh(read_mesh(path), mesh, kColorTolerance);
  }
  const fs::path welded = dir_ / "welded.glb";
  export_mesh(mesh, welded, MeshExportOptions{});
  EXPECT_LE(read_gltf(welded).triangles.size(), mesh.triangles.size());
  SKIP_UNLESS_VALIDATOR_INSTALLED();
  EXPECT_TRUE(passes_gltf_validator(dir_ / "stf.glb"));
  EXPECT_TRUE(passes_gltf_validator(dir_ / "stf.gltf"));
  EXPECT_TRUE(passes_gltf_validator(welded));
}

TEST_F(MeshExport, FullSizeDecoderRandomLatentMeshExportsInEveryFormat) {
  // The real transmitter config with random weights and a random latent (shaped into a blob so the
  // surface is closed and realistic), meshed on a coarser grid than the default 128 to stay quick.
  const auto config = load_decoder_config(std::string(SHAPE_RESOURCES_DIR) + "/configs/transmitter.yaml");
  auto blob = make_random_blob_decoder(config, 11);
  auto mesh_options = blob.decoder->default_mesh_options();
  mesh_options.grid_size = 48;
  const Mesh mesh = blob.decoder->extract_mesh(blob.params, mesh_options).mesh;
  ASSERT_GT(mesh.triangles.size(), 1000u);
  for (MeshFormat format : {MeshFormat::kGlb, MeshFormat::kPly, MeshFormat::kObj}) {
    const fs::path path = dir_ / (std::string("random") + file_extension(format));
    export_mesh(mesh, path, exact(format));
    expect_same_mesh(read_mesh(path), mesh, kColorTolerance);
  }
  SKIP_UNLESS_VALIDATOR_INSTALLED();
  EXPECT_TRUE(passes_gltf_validator(dir_ / "random.glb"));
}

float srgb_of(float linear) {
  return linear <= 0.0031308f ? 12.92f * linear : 1.055f * std::pow(linear, 1.0f / 2.4f) - 0.055f;
}

TEST_F(MeshExport, PlyRoundTripsWithSrgbColourBytes) {
  const fs::path path = dir_ / "sphere.ply";
  export_mesh(sphere_, path, exact(MeshFormat::kPly));
  const std::string bytes = read_text(path);
  ASSERT_EQ(bytes.rfind("ply\nformat binary_little_endian 1.0\n", 0), 0u);
  EXPECT_NE(bytes.find("\ncomment up_axis Y\ncomment color_encoding sRGB\n"), std::string::npos);
  const size_t body = bytes.find("end_header\n") + 11;
  // The first vertex: x y z nx ny nz as little-endian floats (Y-up), then the red green blue bytes.
  float first[3];
  std::memcpy(first, bytes.data() + body, 12);
  EXPECT_EQ((std::array<float, 3>{first[0], first[1], first[2]}), z_up_to_y_up(sphere_.positions[0]));
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(static_cast<unsigned char>(bytes[body + 24 + static_cast<size_t>(k)]),
              static_cast<unsigned char>(std::lround(srgb_of(sphere_.colors[0][static_cast<size_t>(k)]) * 255.0f)));
  }
  expect_same_mesh(read_ply(path), sphere_, kColorTolerance);
}

TEST_F(MeshExport, PlyColourBytesAreSrgbEncoded) {
  EXPECT_EQ(ply_color_byte(0.0f), 0);
  EXPECT_EQ(ply_color_byte(1.0f), 255);
  EXPECT_EQ(ply_color_byte(0.5f), 188);  // sRGB 0.7354 (Shap-E's linear byte was 128)
  EXPECT_EQ(ply_color_byte(0.2f), 124);  // sRGB 0.4845
  EXPECT_EQ(ply_color_byte(0.001f), 3);  // the linear segment: 12.92 * 0.001
  EXPECT_EQ(ply_color_byte(-0.2f), 0);
  EXPECT_EQ(ply_color_byte(1.3f), 255);
  EXPECT_EQ(ply_color_byte(NAN), 0);

  // A known linear colour in a file: the bytes a viewer shows as that colour.
  Mesh mesh = testing::cube_soup();
  mesh.colors.assign(mesh.positions.size(), {0.5f, 0.2f, 1.0f});
  const fs::path path = dir_ / "cube.ply";
  export_mesh(mesh, path, MeshExportOptions{MeshFormat::kPly});
  const std::string bytes = read_text(path);
  const size_t body = bytes.find("end_header\n") + 11;
  EXPECT_EQ(static_cast<unsigned char>(bytes[body + 24]), 188);
  EXPECT_EQ(static_cast<unsigned char>(bytes[body + 25]), 124);
  EXPECT_EQ(static_cast<unsigned char>(bytes[body + 26]), 255);
  EXPECT_NEAR(read_ply(path).colors[0][0], 0.5f, 0.003f);  // decoded back to linear
}

TEST_F(MeshExport, PlyReaderAcceptsAsciiFiles) {
  const fs::path path = dir_ / "quad.ply";
  write_text(path,
             "ply\nformat ascii 1.0\ncomment a quad\nelement vertex 4\nproperty float x\nproperty float y\n"
             "property float z\nproperty uchar red\nproperty uchar green\nproperty uchar blue\n"
             "element face 1\nproperty list uchar int vertex_indices\nend_header\n"
             "0 0 0 255 0 0\n1 0 0 0 255 0\n1 1 0 0 0 255\n0 1 0 255 255 255\n4 0 1 2 3\n");
  const Mesh mesh = read_ply(path);
  ASSERT_EQ(mesh.positions.size(), 4u);
  EXPECT_EQ(mesh.triangles, (std::vector<std::array<uint32_t, 3>>{{0, 1, 2}, {0, 2, 3}}));
  EXPECT_EQ(mesh.colors[1], (std::array<float, 3>{0.0f, 1.0f, 0.0f}));
  EXPECT_TRUE(mesh.normals.empty());
}

TEST_F(MeshExport, ObjRoundTripsWithMaterialAndSrgbColours) {
  const fs::path path = dir_ / "sphere.obj";
  export_mesh(sphere_, path, exact(MeshFormat::kObj));
  EXPECT_EQ(directory_entries(), (std::vector<std::string>{"sphere.mtl", "sphere.obj"}));
  const std::string text = read_text(path);
  EXPECT_NE(text.find("\nmtllib sphere.mtl\n"), std::string::npos);
  EXPECT_NE(text.find("\nf 1//1 "), std::string::npos);
  EXPECT_NE(text.find("\nvn "), std::string::npos);
  EXPECT_NE(text.find("\ns 1\nf "), std::string::npos);  // one smoothing group, before the faces
  EXPECT_NE(read_text(dir_ / "sphere.mtl").find("newmtl "), std::string::npos);

  // The first vertex line carries y-up coordinates and the sRGB-encoded colour.
  std::istringstream first_vertex(text.substr(text.find("\nv ") + 3));
  float values[6];
  for (float& v : values) first_vertex >> v;
  const auto y_up = z_up_to_y_up(sphere_.positions[0]);
  EXPECT_EQ(values[1], y_up[1]);
  EXPECT_EQ(values[2], y_up[2]);
  EXPECT_NEAR(values[3], srgb_of(sphere_.colors[0][0]), 1e-6);

  expect_same_mesh(read_obj(path), sphere_, kColorTolerance);
}

TEST_F(MeshExport, ObjReaderAcceptsCommonVariants) {
  const fs::path path = dir_ / "quad.obj";
  write_text(path,
             "# comment\r\nv 0 0 0\r\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvn 0 1 0\n"
             "g quad\ns off\nf 1/1/1 2/1/1 3/1/1 -1/1/1\nf 1 2 3\nf 1/1 2/1 4/1\n");
  const Mesh mesh = read_obj(path);
  ASSERT_EQ(mesh.positions.size(), 4u);
  EXPECT_TRUE(mesh.colors.empty());
  EXPECT_EQ(mesh.triangles.size(), 4u);
  EXPECT_EQ(mesh.triangles[1], (std::array<uint32_t, 3>{0, 2, 3}));
  EXPECT_EQ(mesh.positions[2], (std::array<float, 3>{1.0f, 0.0f, 1.0f}));  // y-up (1, 1, 0) -> z-up
  ASSERT_EQ(mesh.normals.size(), 4u);
  EXPECT_EQ(mesh.normals[0], (std::array<float, 3>{0.0f, 0.0f, 1.0f}));
}

TEST_F(MeshExport, ReadersReportMalformedFiles) {
  write_text(dir_ / "bad.ply", "ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\n"
                               "property float y\nproperty float z\nend_header\n\x01\x02");
  EXPECT_THROW(read_ply(dir_ / "bad.ply"), ImportError);
  write_text(dir_ / "bad.obj", "v 0 0 0\nf 1 2 3\n");
  EXPECT_THROW(read_obj(dir_ / "bad.obj"), ImportError);
  write_text(dir_ / "bad.glb", "glTF garbage");
  EXPECT_THROW(read_gltf(dir_ / "bad.glb"), ImportError);
  EXPECT_THROW(read_mesh(dir_ / "missing.ply"), ImportError);
  EXPECT_THROW(read_mesh(dir_ / "mesh.stl"), ImportError);
}

TEST_F(MeshExport, WeldingAndSimplifyingReduceTheMeshAndKeepItValid) {
  const Mesh soup = testing::cube_soup();
  const fs::path welded = dir_ / "cube.glb";
  export_mesh(soup, welded, MeshExportOptions{});  // weld is on by default
  const Mesh cube = read_gltf(welded);
  EXPECT_EQ(cube.positions.size(), 8u);
  EXPECT_EQ(cube.triangles.size(), 12u);
  EXPECT_TRUE(testing::is_closed_and_oriented(cube));

  const Mesh dense = testing::colored_sphere(64);
  MeshExportOptions options;
  options.target_triangles = 2000;
  const fs::path simplified = dir_ / "simplified.glb";
  export_mesh(dense, simplified, options);
  const Mesh coarse = read_gltf(simplified);
  EXPECT_LE(coarse.triangles.size(), 2000u);
  EXPECT_GT(coarse.triangles.size(), 1000u);
  EXPECT_LT(coarse.positions.size(), dense.positions.size() / 4);
  EXPECT_TRUE(testing::is_closed_and_oriented(coarse));
  SKIP_UNLESS_VALIDATOR_INSTALLED();
  EXPECT_TRUE(passes_gltf_validator(welded));
  EXPECT_TRUE(passes_gltf_validator(simplified));
}

TEST_F(MeshExport, EmptyOrInvalidMeshGivesErrorAndNoFile) {
  try {
    export_mesh(Mesh{}, dir_ / "empty.glb", MeshExportOptions{});
    FAIL() << "no error for an empty mesh";
  } catch (const ExportError& e) {
    EXPECT_NE(std::string(e.what()).find("empty.glb"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no triangles"), std::string::npos) << e.what();
  }
  Mesh bad = sphere_;
  bad.triangles[0][0] = static_cast<uint32_t>(bad.positions.size());
  EXPECT_THROW(export_mesh(bad, dir_ / "bad.ply", exact(MeshFormat::kPly)), ExportError);
  EXPECT_TRUE(directory_entries().empty());
}

TEST_F(MeshExport, MissingDirectoryGivesErrorNamingPathAndReason) {
  const fs::path path = dir_ / "no" / "such" / "dir" / "mesh.glb";
  try {
    export_mesh(sphere_, path, MeshExportOptions{});
    FAIL() << "no error for a missing directory";
  } catch (const ExportError& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No such file or directory"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(directory_entries().empty());
}

TEST_F(MeshExport, DestinationThatIsADirectoryGivesError) {
  fs::create_directory(dir_ / "taken.glb");
  fs::create_directory(dir_ / "taken.glb" / "inside");
  try {
    export_mesh(sphere_, dir_ / "taken.glb", MeshExportOptions{});
    FAIL() << "no error for a directory";
  } catch (const ExportError& e) {
    EXPECT_NE(std::string(e.what()).find("taken.glb"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("directory"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_directory(dir_ / "taken.glb" / "inside"));
  EXPECT_EQ(directory_entries(), std::vector<std::string>{"taken.glb"});
}

TEST_F(MeshExport, UnwritableDirectoryGivesErrorAndNoFile) {
  // Root ignores permission bits; sysfs still refuses new files then.
  const fs::path read_only = dir_ / "read_only";
  fs::create_directory(read_only);
  fs::permissions(read_only, fs::perms::owner_read | fs::perms::owner_exec);
  fs::path path;
  if (!can_create_file_in(read_only)) {
    path = read_only / "mesh.glb";
  } else if (!can_create_file_in("/sys")) {
    path = "/sys/shape_studio_mesh_export_test.glb";
  } else {
    GTEST_SKIP() << "no unwritable directory to test with (root, and /sys is writable)";
  }
  try {
    export_mesh(sphere_, path, MeshExportOptions{});
    FAIL() << "no error for an unwritable directory";
  } catch (const ExportError& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Permission denied"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(MeshExport, FailedExportLeavesExistingFilesUntouched) {
  // glTF writes two files; with the .bin's name taken by a directory nothing may change, and no
  // temporary file may be left behind.
  const fs::path path = dir_ / "scene.gltf";
  write_text(path, "old gltf");
  fs::create_directory(dir_ / "scene.bin");
  EXPECT_THROW(export_mesh(sphere_, path, exact(MeshFormat::kGltf)), ExportError);
  EXPECT_EQ(read_text(path), "old gltf");
  EXPECT_EQ(directory_entries(), (std::vector<std::string>{"scene.bin", "scene.gltf"}));

  EXPECT_THROW(export_mesh(Mesh{}, path, exact(MeshFormat::kGltf)), ExportError);
  EXPECT_EQ(read_text(path), "old gltf");
}

TEST_F(MeshExport, ExportReplacesAnExistingFile) {
  const fs::path path = dir_ / "mesh.ply";
  write_text(path, "old");
  export_mesh(sphere_, path, exact(MeshFormat::kPly));
  EXPECT_EQ(read_ply(path).triangles.size(), sphere_.triangles.size());
  EXPECT_EQ(directory_entries(), std::vector<std::string>{"mesh.ply"});
}


// The bounding box of the positions as the file stores them (its own frame, before a reader converts).
struct Box {
  std::array<float, 3> low{INFINITY, INFINITY, INFINITY}, high{-INFINITY, -INFINITY, -INFINITY};
  void add(const std::array<float, 3>& p) {
    for (size_t a = 0; a < 3; ++a) low[a] = std::min(low[a], p[a]), high[a] = std::max(high[a], p[a]);
  }
  float side(size_t a) const { return high[a] - low[a]; }
  float centre(size_t a) const { return 0.5f * (high[a] + low[a]); }
};

Box file_bounds(const fs::path& path) {
  Box box;
  const std::string text = read_text(path);
  const std::string extension = path.extension().string();
  if (extension == ".glb" || extension == ".gltf") {
    tinygltf::TinyGLTF loader;
    tinygltf::Model model;
    std::string error, warning;
    const bool loaded = extension == ".glb" ? loader.LoadBinaryFromFile(&model, &error, &warning, path.string())
                                            : loader.LoadASCIIFromFile(&model, &error, &warning, path.string());
    EXPECT_TRUE(loaded) << error;
    if (!loaded) return box;
    const auto& position = model.accessors.at(static_cast<size_t>(model.meshes[0].primitives[0].attributes.at("POSITION")));
    for (size_t a = 0; a < 3; ++a) {
      box.low[a] = static_cast<float>(position.minValues.at(a));
      box.high[a] = static_cast<float>(position.maxValues.at(a));
    }
  } else if (extension == ".ply") {  // Shape Studio's own layout: float x y z [nx ny nz] [uchar red green blue]
    const size_t count_at = text.find("element vertex ") + 15;
    const size_t count = std::stoul(text.substr(count_at));
    const size_t stride = 12 + (text.find("property float nx") != std::string::npos ? 12 : 0) +
                          (text.find("property uchar red") != std::string::npos ? 3 : 0);
    const size_t body = text.find("end_header\n") + 11;
    for (size_t v = 0; v < count; ++v) {
      std::array<float, 3> p;
      std::memcpy(p.data(), text.data() + body + v * stride, 12);
      box.add(p);
    }
  } else {  // .obj
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("v ", 0) != 0) continue;
      std::istringstream values(line.substr(2));
      std::array<float, 3> p;
      values >> p[0] >> p[1] >> p[2];
      box.add(p);
    }
  }
  return box;
}

// A mesh three times as tall (Shap-E's z) as it is wide, off the origin in every axis.
Mesh tall_mesh() {
  Mesh mesh = testing::colored_sphere(24);
  for (auto& p : mesh.positions) p = {p[0] + 0.5f, p[1] - 0.3f, 3.0f * p[2] + 0.2f};
  mesh.normals.clear();
  return mesh;
}

constexpr MeshFormat kAllFormats[] = {MeshFormat::kGlb, MeshFormat::kGltf, MeshFormat::kPly, MeshFormat::kObj};

TEST_F(MeshExport, EveryFormatIsYUpAndStandsOnTheGroundByDefault) {
  const Mesh tall = tall_mesh();
  for (MeshFormat format : kAllFormats) {
    const fs::path path = dir_ / (std::string("tall") + file_extension(format));
    MeshExportOptions options;
    options.format = format;
    export_mesh(tall, path, options);
    const Box box = file_bounds(path);
    SCOPED_TRACE(path.string());
    EXPECT_GT(box.side(1), 2.5f * box.side(0));  // Shap-E's z is the file's y
    EXPECT_GT(box.side(1), 2.5f * box.side(2));
    EXPECT_EQ(box.low[1], 0.0f);  // the lowest point on the ground
    EXPECT_NEAR(box.centre(0), 0.0f, 1e-5);
    EXPECT_NEAR(box.centre(2), 0.0f, 1e-5);
  }
  SKIP_UNLESS_VALIDATOR_INSTALLED();
  EXPECT_TRUE(passes_gltf_validator(dir_ / "tall.glb"));
  EXPECT_TRUE(passes_gltf_validator(dir_ / "tall.gltf"));
}

TEST_F(MeshExport, ZUpKeepsShapEsFrameInPlyAndObj) {
  const Mesh tall = tall_mesh();
  for (MeshFormat format : {MeshFormat::kPly, MeshFormat::kObj}) {
    const fs::path path = dir_ / (std::string("tall") + file_extension(format));
    MeshExportOptions options;
    options.format = format;
    options.up = UpAxis::kZ;
    export_mesh(tall, path, options);
    const Box box = file_bounds(path);
    SCOPED_TRACE(path.string());
    EXPECT_GT(box.side(2), 2.5f * box.side(0));
    EXPECT_GT(box.side(2), 2.5f * box.side(1));
    EXPECT_EQ(box.low[2], 0.0f);
    EXPECT_NEAR(box.centre(0), 0.0f, 1e-5);
    EXPECT_NEAR(box.centre(1), 0.0f, 1e-5);
    EXPECT_NE(read_text(path).find(format == MeshFormat::kPly ? "\ncomment up_axis Z\n" : "\n# up_axis Z\n"),
              std::string::npos);

    // Read back in Shap-E's frame, exactly.
    const fs::path exact_path = dir_ / (std::string("sphere_z") + file_extension(format));
    export_mesh(sphere_, exact_path, exact(format, UpAxis::kZ));
    expect_same_mesh(read_mesh(exact_path), sphere_, kColorTolerance);
  }
  try {
    export_mesh(tall, dir_ / "tall.glb", exact(MeshFormat::kGlb, UpAxis::kZ));
    FAIL() << "Z-up glTF written";
  } catch (const ExportError& e) {
    EXPECT_NE(std::string(e.what()).find("glTF is Y-up"), std::string::npos) << e.what();
  }
}

TEST_F(MeshExport, CenterOriginPutsTheBoundingBoxCentreAtTheOrigin) {
  const Mesh tall = tall_mesh();
  for (MeshFormat format : kAllFormats) {
    const fs::path path = dir_ / (std::string("tall") + file_extension(format));
    MeshExportOptions options;
    options.format = format;
    options.origin = MeshOrigin::kCenter;
    export_mesh(tall, path, options);
    const Box box = file_bounds(path);
    SCOPED_TRACE(path.string());
    for (size_t a = 0; a < 3; ++a) EXPECT_NEAR(box.centre(a), 0.0f, 1e-5) << "axis " << a;
    EXPECT_GT(box.side(1), 2.5f * box.side(0));
  }
}

TEST_F(MeshExport, ScaleSetsTheLargestSide) {
  const Mesh tall = tall_mesh();
  for (MeshFormat format : kAllFormats) {
    const fs::path path = dir_ / (std::string("tall") + file_extension(format));
    MeshExportOptions options;
    options.format = format;
    options.scale_metres = 0.25;
    export_mesh(tall, path, options);
    const Box box = file_bounds(path);
    SCOPED_TRACE(path.string());
    EXPECT_NEAR(box.side(1), 0.25f, 1e-6);
    EXPECT_NEAR(box.side(0), 0.25f / 3.0f, 1e-3);  // uniform
    EXPECT_EQ(box.low[1], 0.0f);
  }
  MeshExportOptions bad;
  bad.scale_metres = -1.0;
  EXPECT_THROW(export_mesh(tall, dir_ / "bad.glb", bad), ExportError);
  bad.scale_metres = NAN;
  EXPECT_THROW(export_mesh(tall, dir_ / "bad.glb", bad), ExportError);
}

TEST_F(MeshExport, DefaultBudgetSimplifiesLargeMeshesAndTheSummarySaysWhatWasWritten) {
  const Mesh dense = testing::colored_sphere(160);
  ASSERT_GT(dense.triangles.size(), kDefaultExportTriangles);
  const fs::path path = dir_ / "dense.glb";
  const ExportSummary summary = export_mesh(dense, path, MeshExportOptions{});
  EXPECT_LE(summary.triangles, kDefaultExportTriangles);
  EXPECT_GT(summary.triangles, kDefaultExportTriangles * 9 / 10);
  const Mesh read = read_gltf(path);
  EXPECT_EQ(read.triangles.size(), summary.triangles);
  EXPECT_EQ(read.positions.size(), summary.vertices);
  EXPECT_EQ(summary.bytes, fs::file_size(path));

  MeshExportOptions all;
  all.target_triangles = 0;
  EXPECT_GT(export_mesh(dense, dir_ / "all.glb", all).triangles, dense.triangles.size() * 99 / 100);

  const fs::path obj = dir_ / "dense.obj";
  const ExportSummary obj_summary = export_mesh(dense, obj, MeshExportOptions{MeshFormat::kObj});
  EXPECT_EQ(obj_summary.bytes, fs::file_size(obj) + fs::file_size(dir_ / "dense.mtl"));
  SKIP_UNLESS_VALIDATOR_INSTALLED();
  EXPECT_TRUE(passes_gltf_validator(path));
}

TEST(ExportSummaryText, NamesTheFileTrianglesAndSize) {
  EXPECT_EQ(describe_export("cube.glb", {24000, 12000, 1100000}), "wrote cube.glb: 24,000 triangles, 1.1 MB");
  EXPECT_EQ(describe_export("out/a.ply", {1234567, 600000, 45600}), "wrote out/a.ply: 1,234,567 triangles, 45.6 kB");
  EXPECT_EQ(describe_export("t.obj", {1, 3, 812}), "wrote t.obj: 1 triangle, 812 bytes");
}

}  // namespace
}  // namespace shape
