#include "inference/mesh/marching_cubes.h"

#include <map>
#include <utility>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/inference/golden.h"

namespace shape {
namespace {

std::array<float, 3> to_array3(const torch::Tensor& t) {
  auto c = t.to(torch::kFloat32).contiguous();
  return {c[0].item<float>(), c[1].item<float>(), c[2].item<float>()};
}

// Signed distance-like field of a sphere (positive inside) on an n^3 grid over [-1, 1]^3.
torch::Tensor sphere_field(int64_t n, float radius) {
  auto axis = torch::linspace(-1.0, 1.0, n, torch::kFloat32);
  auto grids = torch::meshgrid({axis, axis, axis}, "ij");
  return radius - (grids[0].square() + grids[1].square() + grids[2].square()).sqrt();
}

// Sum over faces of det(v0, v1, v2) / 6: the enclosed volume, positive when faces wind outward.
double signed_volume(const MarchingCubesResult& mesh) {
  auto v = mesh.vertices.to(torch::kFloat64);
  auto f = mesh.faces;
  auto a = v.index({f.select(1, 0)}), b = v.index({f.select(1, 1)}), c = v.index({f.select(1, 2)});
  return (torch::linalg_cross(a, b) * c).sum().item<double>() / 6.0;
}

TEST(MarchingCubes, MatchesShapEGolden) {
  auto golden = testing::load_golden("mc");
  auto result = marching_cubes(golden.at("field"), to_array3(golden.at("min_point")), to_array3(golden.at("size")));
  EXPECT_TRUE(testing::all_close(result.vertices, golden.at("verts"), 1e-5, 0.0));
  EXPECT_TRUE(testing::exactly_equal(result.faces, golden.at("faces")));
}

TEST(MarchingCubes, MatchesShapEStfMeshOfTheDecoderGolden) {
  auto golden = testing::load_golden("decoder");
  auto result = marching_cubes(golden.at("stf.fields")[0], {-1.0f, -1.0f, -1.0f}, {2.0f, 2.0f, 2.0f});
  EXPECT_TRUE(testing::all_close(result.vertices, golden.at("stf.mesh.verts"), 1e-4, 0.0));
  EXPECT_TRUE(testing::exactly_equal(result.faces, golden.at("stf.mesh.faces")));
}

TEST(MarchingCubes, FieldWithoutSurfaceGivesEmptyMesh) {
  for (float value : {-1.0f, 1.0f}) {
    auto result = marching_cubes(torch::full({5, 6, 7}, value), {0, 0, 0}, {1, 1, 1});
    EXPECT_EQ(result.vertices.sizes(), (std::vector<int64_t>{0, 3}));
    EXPECT_EQ(result.faces.sizes(), (std::vector<int64_t>{0, 3}));
    EXPECT_EQ(result.vertices.scalar_type(), torch::kFloat32);
    EXPECT_EQ(result.faces.scalar_type(), torch::kInt64);
  }
  auto flat = marching_cubes(torch::ones({1, 4, 4}), {0, 0, 0}, {1, 1, 1});
  EXPECT_EQ(flat.faces.size(0), 0);
}

TEST(MarchingCubes, RejectsFieldsThatAreNot3D) {
  EXPECT_THROW(marching_cubes(torch::zeros({4, 4}), {0, 0, 0}, {1, 1, 1}), std::invalid_argument);
  EXPECT_THROW(marching_cubes(torch::zeros({1, 4, 4, 4}), {0, 0, 0}, {1, 1, 1}), std::invalid_argument);
}

TEST(MarchingCubes, SphereIsClosedInsideTheBoxAndWindsOutward) {
  auto result = marching_cubes(sphere_field(33, 0.6f).to(torch::kFloat64), {-1, -1, -1}, {2, 2, 2});
  ASSERT_GT(result.faces.size(0), 100);
  ASSERT_EQ(result.faces.max().item<int64_t>(), result.vertices.size(0) - 1);

  // Every vertex lies near the sphere and every undirected edge borders exactly two faces, once in
  // each direction (a closed, consistently oriented surface).
  auto radii = result.vertices.norm(2, 1);
  EXPECT_LT((radii - 0.6).abs().max().item<float>(), 0.02f);
  std::map<std::pair<int64_t, int64_t>, int> directed_edges;
  auto faces = result.faces.accessor<int64_t, 2>();
  for (int64_t f = 0; f < faces.size(0); ++f) {
    for (int k = 0; k < 3; ++k) ++directed_edges[{faces[f][k], faces[f][(k + 1) % 3]}];
  }
  for (const auto& [edge, count] : directed_edges) {
    ASSERT_EQ(count, 1) << "edge " << edge.first << "-" << edge.second;
    ASSERT_EQ(directed_edges.count({edge.second, edge.first}), 1u) << "open edge " << edge.first << "-" << edge.second;
  }

  // shap-e's table winds the triangles so that the normals (right-hand rule) point out of the inside.
  const double volume = signed_volume(result);
  EXPECT_NEAR(volume, 4.0 / 3.0 * M_PI * 0.6 * 0.6 * 0.6, 0.02);
}

TEST(MarchingCubes, MapsGridCornersOntoTheBox) {
  // Inside only at grid point (0, 0, 0): the vertices lie on the three edges from that corner, at the
  // zero crossing of the linear interpolation (t = 1 / (1 + 3) = 0.25 along each edge).
  auto field = torch::full({3, 4, 5}, -3.0f);
  field[0][0][0] = 1.0f;
  auto result = marching_cubes(field, {10.0f, 20.0f, 30.0f}, {2.0f, 3.0f, 4.0f});
  ASSERT_EQ(result.faces.size(0), 1);
  // Edge ids in sorted order: the x-edge, then the y-edge, then the z-edge.
  auto expected = torch::tensor({{10.25f, 20.0f, 30.0f}, {10.0f, 20.25f, 30.0f}, {10.0f, 20.0f, 30.25f}});
  EXPECT_TRUE(testing::all_close(result.vertices, expected, 1e-6, 0.0));
}

}  // namespace
}  // namespace shape
