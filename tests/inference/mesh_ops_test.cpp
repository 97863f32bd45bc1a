#include "inference/mesh/mesh_ops.h"

#include <set>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/inference/mesh_test_util.h"

namespace shape {
namespace {

using testing::max_difference;

TEST(MeshOps, FromTensorsCopiesDataAndComputesAreaWeightedNormals) {
  // Two triangles sharing vertex 0: a big one in the z = 0 plane (normal +Z, area 2) and a small one
  // in the x = 0 plane (normal +X, area 0.5). Vertex 0's normal leans 4:1 towards +Z.
  auto vertices = torch::tensor({{0.0, 0.0, 0.0}, {2.0, 0.0, 0.0}, {0.0, 2.0, 0.0}, {0.0, 1.0, 0.0}, {0.0, 0.0, 1.0}},
                                torch::kFloat64);
  auto faces = torch::tensor({{0, 1, 2}, {0, 3, 4}}, torch::kInt32);
  auto colors = torch::rand({5, 3});
  Mesh mesh = mesh_from_tensors(vertices, faces, colors);

  ASSERT_EQ(mesh.positions.size(), 5u);
  EXPECT_EQ(mesh.positions[1], (std::array<float, 3>{2.0f, 0.0f, 0.0f}));
  ASSERT_EQ(mesh.triangles.size(), 2u);
  EXPECT_EQ(mesh.triangles[1], (std::array<uint32_t, 3>{0, 3, 4}));
  ASSERT_EQ(mesh.colors.size(), 5u);
  EXPECT_FLOAT_EQ(mesh.colors[4][2], colors[4][2].item<float>());

  ASSERT_EQ(mesh.normals.size(), 5u);
  const float length = std::sqrt(4.0f * 4.0f + 1.0f);
  EXPECT_NEAR(mesh.normals[0][0], 1.0f / length, 1e-6);
  EXPECT_NEAR(mesh.normals[0][2], 4.0f / length, 1e-6);
  EXPECT_EQ(mesh.normals[1], (std::array<float, 3>{0.0f, 0.0f, 1.0f}));
  EXPECT_EQ(mesh.normals[4], (std::array<float, 3>{1.0f, 0.0f, 0.0f}));
}

TEST(MeshOps, FromTensorsWithoutColorsGivesUncolouredMesh) {
  Mesh mesh = mesh_from_tensors(torch::rand({3, 3}), torch::tensor({{0, 1, 2}}), torch::Tensor());
  EXPECT_TRUE(mesh.colors.empty());
  EXPECT_EQ(mesh.normals.size(), 3u);
}

TEST(MeshOps, FromTensorsRejectsMismatchedInput) {
  const auto faces = torch::tensor({{0, 1, 2}});
  EXPECT_THROW(mesh_from_tensors(torch::rand({3, 2}), faces, {}), std::invalid_argument);
  EXPECT_THROW(mesh_from_tensors(torch::rand({3, 3}), torch::tensor({{0, 1, 3}}), {}), std::invalid_argument);
  EXPECT_THROW(mesh_from_tensors(torch::rand({3, 3}), torch::tensor({{0, -1, 2}}), {}), std::invalid_argument);
  EXPECT_THROW(mesh_from_tensors(torch::rand({3, 3}), torch::tensor({{0.0, 1.0, 2.0}}), {}), std::invalid_argument);
  EXPECT_THROW(mesh_from_tensors(torch::rand({3, 3}), faces, torch::rand({2, 3})), std::invalid_argument);
}

TEST(MeshOps, MarchingCubesSphereNormalsPointOutward) {
  Mesh mesh = testing::colored_sphere(24);
  for (size_t i = 0; i < mesh.positions.size(); ++i) {
    const auto& p = mesh.positions[i];
    const auto& n = mesh.normals[i];
    const float radius = std::sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
    ASSERT_GT((p[0] * n[0] + p[1] * n[1] + p[2] * n[2]) / radius, 0.9f) << "vertex " << i;
  }
}

TEST(MeshOps, CheckMeshRejectsInconsistentMeshes) {
  Mesh mesh = testing::cube_soup();
  EXPECT_NO_THROW(check_mesh(mesh));
  Mesh bad_index = mesh;
  bad_index.triangles[3][1] = static_cast<uint32_t>(mesh.positions.size());
  EXPECT_THROW(check_mesh(bad_index), std::invalid_argument);
  Mesh bad_colors = mesh;
  bad_colors.colors.pop_back();
  EXPECT_THROW(check_mesh(bad_colors), std::invalid_argument);
  Mesh bad_position = mesh;
  bad_position.positions[0][1] = NAN;
  EXPECT_THROW(check_mesh(bad_position), std::invalid_argument);
}

TEST(MeshOps, WeldMergesATriangleSoupIntoAClosedMesh) {
  Mesh mesh = testing::cube_soup();
  compute_vertex_normals(mesh);  // faceted: each copy has its face's normal
  ASSERT_EQ(mesh.positions.size(), 36u);
  weld_vertices(mesh);
  EXPECT_EQ(mesh.positions.size(), 8u);
  EXPECT_EQ(mesh.triangles.size(), 12u);
  EXPECT_NO_THROW(check_mesh(mesh));
  EXPECT_TRUE(testing::is_closed_and_oriented(mesh));
  // Colours travel with their vertices, and the recomputed normals are smooth: each points out of
  // the cube along all three axes at once.
  ASSERT_EQ(mesh.colors.size(), 8u);
  ASSERT_EQ(mesh.normals.size(), 8u);
  for (size_t v = 0; v < 8; ++v) {
    EXPECT_EQ(mesh.colors[v], mesh.positions[v]);
    for (int k = 0; k < 3; ++k) {
      EXPECT_GT(mesh.normals[v][k] * (mesh.positions[v][k] - 0.5f), 0.1f) << "vertex " << v << " axis " << k;
    }
  }
}

TEST(MeshOps, WeldDropsTrianglesThatCollapseAndUnusedVertices) {
  Mesh mesh;
  mesh.positions = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {1, 0, 0}, {5, 5, 5}};  // 3 repeats 1; 4 is unused
  mesh.triangles = {{0, 1, 2}, {0, 1, 3}};                                  // the second collapses
  weld_vertices(mesh);
  EXPECT_EQ(mesh.positions.size(), 3u);
  ASSERT_EQ(mesh.triangles.size(), 1u);
  EXPECT_TRUE(mesh.normals.empty());
  EXPECT_NO_THROW(check_mesh(mesh));
}

TEST(MeshOps, WeldLeavesAMarchingCubesMeshValid) {
  Mesh mesh = testing::colored_sphere(32);
  const size_t triangles = mesh.triangles.size();
  weld_vertices(mesh);
  EXPECT_NO_THROW(check_mesh(mesh));
  EXPECT_LE(mesh.triangles.size(), triangles);
  EXPECT_GT(mesh.triangles.size(), triangles * 9 / 10);
  EXPECT_TRUE(testing::is_closed_and_oriented(mesh));
}

TEST(MeshOps, SimplifyReachesTheTargetAndKeepsAttributes) {
  Mesh original = testing::colored_sphere(64);
  ASSERT_GT(original.triangles.size(), 10000u);
  Mesh mesh = original;
  simplify_mesh(mesh, 1000);
  EXPECT_LE(mesh.triangles.size(), 1000u);
  EXPECT_GT(mesh.triangles.size(), 500u);
  EXPECT_NO_THROW(check_mesh(mesh));
  EXPECT_TRUE(testing::is_closed_and_oriented(mesh));
  EXPECT_LT(mesh.positions.size(), original.positions.size() / 5);

  // Every remaining vertex is one of the original vertices with its attributes unchanged.
  std::map<std::array<float, 3>, size_t> original_index;
  for (size_t i = 0; i < original.positions.size(); ++i) original_index[original.positions[i]] = i;
  for (size_t i = 0; i < mesh.positions.size(); ++i) {
    const auto found = original_index.find(mesh.positions[i]);
    ASSERT_NE(found, original_index.end()) << "vertex " << i << " is new";
    EXPECT_EQ(mesh.colors[i], original.colors[found->second]);
    EXPECT_EQ(mesh.normals[i], original.normals[found->second]);
  }
}

TEST(MeshOps, SimplifyKeepsSmallMeshes) {
  Mesh mesh = testing::cube_soup();
  const Mesh before = mesh;
  simplify_mesh(mesh, 12);
  EXPECT_EQ(mesh.triangles, before.triangles);
  EXPECT_EQ(max_difference(mesh.positions, before.positions), 0.0);
}

}  // namespace
}  // namespace shape
