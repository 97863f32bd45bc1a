// Coarse-to-fine grid sampling on analytic fields: the marching-cubes mesh equals the dense grid's.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include <torch/torch.h>

#include "golden.h"
#include "inference/decoder/grid_refinement.h"
#include "inference/mesh/marching_cubes.h"

namespace shape {
namespace {

using Field = std::function<float(float x, float y, float z)>;  // at grid coordinates

torch::Tensor dense_values(int64_t n, const Field& field) {
  auto values = torch::empty({n, n, n});
  auto access = values.accessor<float, 3>();
  for (int64_t x = 0; x < n; ++x) {
    for (int64_t y = 0; y < n; ++y) {
      for (int64_t z = 0; z < n; ++z) access[x][y][z] = field(x, y, z);
    }
  }
  return values;
}

GridFieldQuery query_of(int64_t n, const Field& field) {
  return [n, field](const torch::Tensor& flat) {
    auto values = torch::empty({flat.size(0)});
    const auto index = flat.accessor<int64_t, 1>();
    for (int64_t i = 0; i < flat.size(0); ++i) {
      values[i] = field(index[i] / (n * n), index[i] / n % n, index[i] % n);
    }
    return values;
  };
}

MarchingCubesResult mesh_of(const torch::Tensor& grid) {
  return marching_cubes(torch::constant_pad_nd(grid, {1, 1, 1, 1, 1, 1}, -1.0), {-1, -1, -1}, {2, 2, 2});
}

struct Comparison {
  RefinedGrid refined;
  MarchingCubesResult dense, sparse;
};

Comparison compare(int64_t n, const Field& field, const GridRefinementOptions& options = {}) {
  Comparison result;
  result.refined = sample_grid_coarse_to_fine(n, query_of(n, field), options);
  result.dense = mesh_of(dense_values(n, field));
  result.sparse = mesh_of(torch::from_blob(result.refined.values.data(), {n, n, n}).clone());
  return result;
}

void expect_same_mesh(const Comparison& comparison) {
  ASSERT_GT(comparison.dense.faces.size(0), 0);
  EXPECT_TRUE(testing::exactly_equal(comparison.sparse.faces, comparison.dense.faces));
  EXPECT_TRUE(testing::exactly_equal(comparison.sparse.vertices, comparison.dense.vertices));
}

Field sphere(float cx, float cy, float cz, float radius) {
  return [=](float x, float y, float z) {
    return radius - std::sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy) + (z - cz) * (z - cz));
  };
}

TEST(GridRefinement, SphereMeshEqualsTheDenseOneForAFractionOfTheQueries) {
  const int64_t n = 64;
  const auto comparison = compare(n, sphere(30.3f, 33.1f, 31.7f, 20.2f));
  expect_same_mesh(comparison);
  EXPECT_EQ(comparison.refined.closure_points, 0);
  EXPECT_LT(comparison.refined.evaluated_points, n * n * n / 4);
}

TEST(GridRefinement, EvaluatedPointsKeepTheirValuesAndTheRestKeepTheirSign) {
  const int64_t n = 40;
  const auto field = sphere(18.5f, 20.0f, 21.2f, 12.7f);
  const auto refined = sample_grid_coarse_to_fine(n, query_of(n, field));
  const auto dense = dense_values(n, field).view({-1});
  const auto values = torch::from_blob(const_cast<float*>(refined.values.data()), {n * n * n});
  EXPECT_TRUE(torch::equal(values > 0, dense > 0));
  EXPECT_GT((values == dense).sum().item<int64_t>(), refined.evaluated_points - 1);
}

TEST(GridRefinement, GridSizesOffTheLatticeAndSurfacesOnTheBorder) {
  // 37 and 100 leave a short last interval; a blob cut by the box closes on the -1 border.
  for (const int64_t n : {37, 100}) {
    SCOPED_TRACE(n);
    const float scale = static_cast<float>(n) / 37.0f;
    expect_same_mesh(compare(n, sphere(2.0f * scale, 18.0f * scale, 30.0f * scale, 14.5f * scale)));
  }
  // Inside everywhere: the surface is the box itself.
  expect_same_mesh(compare(24, [](float, float, float) { return 0.5f; }));
}

TEST(GridRefinement, ClosureFollowsASurfaceThatLeavesTheBand) {
  // Without a band only blocks with a sign change at their corners are refined. A thin rod leaving
  // a sphere between lattice points is missed by them; the closure follows it from the sphere.
  const auto ball = sphere(20.0f, 20.0f, 20.0f, 9.3f);
  const Field ball_and_rod = [ball](float x, float y, float z) {
    const float rod = 1.3f - std::sqrt((y - 21.5f) * (y - 21.5f) + (z - 19.5f) * (z - 19.5f));
    return std::max(ball(x, y, z), x < 50.5f ? rod : -1.0f);
  };
  GridRefinementOptions no_band;
  no_band.slope_safety = 0.0;
  const auto comparison = compare(64, ball_and_rod, no_band);
  expect_same_mesh(comparison);
  EXPECT_GT(comparison.refined.closure_points, 0);
}

TEST(GridRefinement, AFeatureSmallerThanABlockNeedsTheBand) {
  // Condition (A) of the header: a bubble between the lattice points of a block, away from any
  // other surface, is found by the band only.
  const auto big = sphere(16.0f, 16.0f, 16.0f, 6.2f);
  const auto bubble = sphere(44.0f, 45.0f, 43.0f, 1.6f);
  const Field two = [&](float x, float y, float z) { return std::max(big(x, y, z), bubble(x, y, z)); };
  GridRefinementOptions no_band;
  no_band.slope_safety = 0.0;
  const auto missed = compare(64, two, no_band);
  EXPECT_LT(missed.sparse.faces.size(0), missed.dense.faces.size(0));
  expect_same_mesh(compare(64, two));
}

TEST(GridRefinement, BadOptionsAreRefused) {
  const auto query = query_of(8, sphere(4, 4, 4, 2));
  GridRefinementOptions options;
  options.coarse_stride = 6;
  EXPECT_THROW(sample_grid_coarse_to_fine(8, query, options), c10::Error);
  EXPECT_THROW(sample_grid_coarse_to_fine(1, query), c10::Error);
}

}  // namespace
}  // namespace shape
