// The procedural primitives: proportions, exact signed distances, meshes, surface sampling, the
// held-out split and the geometric classifier.
#include "inference/training/primitives.h"

#include <cmath>
#include <cstring>
#include <set>

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "inference/mesh/marching_cubes.h"
#include "inference/mesh/mesh_ops.h"
#include "tests/inference/mesh_test_util.h"

namespace shape::training {
namespace {

PrimitiveSpec spec_of(PrimitiveKind kind, std::array<float, 3> half_extents) {
  return {kind, PrimitiveSize::kLarge, 0, half_extents};
}

double sdf_at(const PrimitiveSpec& spec, std::array<double, 3> p) {
  return primitive_signed_distance(spec, torch::tensor({p[0], p[1], p[2]}, torch::kFloat64).view({1, 3}))[0].item<double>();
}

std::vector<PrimitiveSpec> random_specs(int per_class, uint64_t seed) {
  std::vector<PrimitiveSpec> specs;
  int64_t colour = 0;
  for (PrimitiveKind kind : all_primitive_kinds()) {
    for (PrimitiveSize size : {PrimitiveSize::kSmall, PrimitiveSize::kLarge}) {
      for (int i = 0; i < per_class; ++i) {
        specs.push_back(make_primitive(kind, size, colour, seed + 100 * specs.size()));
        colour = (colour + 1) % static_cast<int64_t>(primitive_colours().size());
      }
    }
  }
  return specs;
}

TEST(TrainingPrimitives, NamesColoursAndCaptions) {
  EXPECT_EQ(all_primitive_kinds().size(), 7u);
  EXPECT_EQ(primitive_name(PrimitiveKind::kPyramid), "pyramid");
  EXPECT_EQ(size_name(PrimitiveSize::kSmall), "small");
  ASSERT_EQ(primitive_colours().size(), 8u);
  EXPECT_EQ(primitive_colours()[0].name, "red");
  for (size_t i = 0; i < primitive_colours().size(); ++i) {
    for (size_t j = i + 1; j < primitive_colours().size(); ++j) {
      double d2 = 0;
      for (size_t k = 0; k < 3; ++k) d2 += std::pow(primitive_colours()[i].rgb[k] - primitive_colours()[j].rgb[k], 2);
      EXPECT_GT(std::sqrt(d2), 0.35) << primitive_colours()[i].name << " vs " << primitive_colours()[j].name;
    }
  }
  const PrimitiveSpec spec = make_primitive(PrimitiveKind::kCube, PrimitiveSize::kSmall, 0, 1);
  EXPECT_EQ(spec.caption(), "a small red cube");
  EXPECT_EQ((PrimitiveCombination{PrimitiveKind::kTorus, PrimitiveSize::kLarge, 5}.caption()), "a large blue torus");
  EXPECT_THROW(make_primitive(PrimitiveKind::kCube, PrimitiveSize::kSmall, 8, 1), std::out_of_range);
}

TEST(TrainingPrimitives, ProportionsStayInTheirClassRanges) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    for (PrimitiveKind kind : all_primitive_kinds()) {
      for (PrimitiveSize size : {PrimitiveSize::kSmall, PrimitiveSize::kLarge}) {
        const PrimitiveSpec spec = make_primitive(kind, size, 3, seed);
        const auto [hx, hy, hz] = spec.half_extents;
        const float s = std::max({hx, hy, hz});
        if (size == PrimitiveSize::kSmall) {
          EXPECT_TRUE(s >= 0.35f && s <= 0.5f) << s;
        } else {
          EXPECT_TRUE(s >= 0.7f && s <= 0.85f) << s;
        }
        EXPECT_GE(std::min({hx, hy, hz}), (kind == PrimitiveKind::kCube ? 0.85f : 0.0f) * s);
        if (kind != PrimitiveKind::kCube) EXPECT_EQ(hx, hy);  // round or square-based, upright
        const double height_ratio = hz / hx;
        switch (kind) {
          case PrimitiveKind::kSphere: EXPECT_EQ(hx, hz); break;
          case PrimitiveKind::kTorus: {
            const double minor_over_major = hz / (hx - hz);
            EXPECT_TRUE(minor_over_major >= 0.25 - 1e-5 && minor_over_major <= 0.4 + 1e-5) << minor_over_major;
            break;
          }
          case PrimitiveKind::kCone:
          case PrimitiveKind::kPyramid: EXPECT_TRUE(height_ratio >= 0.8 - 1e-5 && height_ratio <= 1.5 + 1e-5); break;
          case PrimitiveKind::kCylinder: EXPECT_TRUE(height_ratio >= 0.6 - 1e-5 && height_ratio <= 1.5 + 1e-5); break;
          case PrimitiveKind::kCapsule: EXPECT_TRUE(height_ratio >= 2.2 - 1e-5 && height_ratio <= 3.0 + 1e-5); break;
          case PrimitiveKind::kCube: break;
        }
      }
    }
  }
  const PrimitiveSpec a = make_primitive(PrimitiveKind::kCone, PrimitiveSize::kLarge, 1, 42);
  const PrimitiveSpec b = make_primitive(PrimitiveKind::kCone, PrimitiveSize::kLarge, 1, 42);
  const PrimitiveSpec c = make_primitive(PrimitiveKind::kCone, PrimitiveSize::kLarge, 1, 43);
  EXPECT_EQ(a.half_extents, b.half_extents);
  EXPECT_NE(a.half_extents, c.half_extents);
}

TEST(TrainingPrimitives, SignedDistancesAtKnownPoints) {
  const double slant = 0.25 / std::sqrt(1.25);  // centre to the side of a cone/pyramid with h = 2w = 1
  struct Case {
    PrimitiveSpec spec;
    std::array<double, 3> point;
    double expected;
  };
  const std::vector<Case> cases = {
      {spec_of(PrimitiveKind::kCube, {0.5f, 0.4f, 0.3f}), {0, 0, 0}, 0.3},
      {spec_of(PrimitiveKind::kCube, {0.5f, 0.4f, 0.3f}), {0.45, 0, 0}, 0.05},
      {spec_of(PrimitiveKind::kCube, {0.5f, 0.4f, 0.3f}), {1.0, 0, 0}, -0.5},
      {spec_of(PrimitiveKind::kCube, {0.5f, 0.4f, 0.3f}), {0.8, 0.7, 0}, -std::sqrt(0.18)},
      {spec_of(PrimitiveKind::kCube, {0.5f, 0.4f, 0.3f}), {0.5, 0.1, 0.2}, 0},
      {spec_of(PrimitiveKind::kSphere, {0.5f, 0.5f, 0.5f}), {0, 0, 0}, 0.5},
      {spec_of(PrimitiveKind::kSphere, {0.5f, 0.5f, 0.5f}), {0, 0.6, 0.8}, -0.5},
      {spec_of(PrimitiveKind::kSphere, {0.5f, 0.5f, 0.5f}), {0.3, 0, 0.4}, 0},
      // Outer radius 0.7, minor/major 0.4: major 0.5, minor 0.2.
      {spec_of(PrimitiveKind::kTorus, {0.7f, 0.7f, 0.2f}), {0, 0.5, 0}, 0.2},
      {spec_of(PrimitiveKind::kTorus, {0.7f, 0.7f, 0.2f}), {0, 0, 0}, -0.3},
      {spec_of(PrimitiveKind::kTorus, {0.7f, 0.7f, 0.2f}), {0.7, 0, 0}, 0},
      {spec_of(PrimitiveKind::kTorus, {0.7f, 0.7f, 0.2f}), {0, 0, 1}, 0.2 - std::sqrt(1.25)},
      {spec_of(PrimitiveKind::kCone, {0.5f, 0.5f, 0.5f}), {0, 0, 0}, slant},
      {spec_of(PrimitiveKind::kCone, {0.5f, 0.5f, 0.5f}), {0, 0, 0.5}, 0},
      {spec_of(PrimitiveKind::kCone, {0.5f, 0.5f, 0.5f}), {0, 0.3, -0.5}, 0},
      {spec_of(PrimitiveKind::kCone, {0.5f, 0.5f, 0.5f}), {0, 0, -0.7}, -0.2},
      {spec_of(PrimitiveKind::kCone, {0.5f, 0.5f, 0.5f}), {0, 0, 0.8}, -0.3},
      {spec_of(PrimitiveKind::kCone, {0.5f, 0.5f, 0.5f}), {0, 0.8, -0.5}, -0.3},
      {spec_of(PrimitiveKind::kCylinder, {0.4f, 0.4f, 0.6f}), {0, 0, 0}, 0.4},
      {spec_of(PrimitiveKind::kCylinder, {0.4f, 0.4f, 0.6f}), {0, 0.4, 0.3}, 0},
      {spec_of(PrimitiveKind::kCylinder, {0.4f, 0.4f, 0.6f}), {0, 0.1, -0.6}, 0},
      {spec_of(PrimitiveKind::kCylinder, {0.4f, 0.4f, 0.6f}), {0.7, 0, 0.9}, -std::sqrt(0.18)},
      {spec_of(PrimitiveKind::kCylinder, {0.4f, 0.4f, 0.6f}), {0, 0, 1}, -0.4},
      {spec_of(PrimitiveKind::kPyramid, {0.5f, 0.5f, 0.5f}), {0, 0, 0}, slant},
      {spec_of(PrimitiveKind::kPyramid, {0.5f, 0.5f, 0.5f}), {0, 0, 0.5}, 0},
      {spec_of(PrimitiveKind::kPyramid, {0.5f, 0.5f, 0.5f}), {0.4, -0.4, -0.5}, 0},
      {spec_of(PrimitiveKind::kPyramid, {0.5f, 0.5f, 0.5f}), {0.25, 0.1, 0}, 0},
      {spec_of(PrimitiveKind::kPyramid, {0.5f, 0.5f, 0.5f}), {0, 0, -0.8}, -0.3},
      {spec_of(PrimitiveKind::kPyramid, {0.5f, 0.5f, 0.5f}), {0, 0, 1}, -0.5},
      {spec_of(PrimitiveKind::kPyramid, {0.5f, 0.5f, 0.5f}), {0.8, 0.9, -0.5}, -0.5},
      {spec_of(PrimitiveKind::kPyramid, {0.5f, 0.5f, 0.5f}), {0.1, 0.1, -0.9}, -0.4},
      // Radius 0.2, axis segment z in [-0.4, 0.4].
      {spec_of(PrimitiveKind::kCapsule, {0.2f, 0.2f, 0.6f}), {0, 0, 0}, 0.2},
      {spec_of(PrimitiveKind::kCapsule, {0.2f, 0.2f, 0.6f}), {0, 0, 0.6}, 0},
      {spec_of(PrimitiveKind::kCapsule, {0.2f, 0.2f, 0.6f}), {0.2, 0, -0.4}, 0},
      {spec_of(PrimitiveKind::kCapsule, {0.2f, 0.2f, 0.6f}), {0, 0, 1}, -0.4},
      {spec_of(PrimitiveKind::kCapsule, {0.2f, 0.2f, 0.6f}), {0, 0.5, 0.1}, -0.3},
  };
  for (const Case& c : cases) {
    EXPECT_NEAR(sdf_at(c.spec, c.point), c.expected, 1e-6)
        << primitive_name(c.spec.kind) << " at (" << c.point[0] << ", " << c.point[1] << ", " << c.point[2] << ")";
  }
}

TEST(TrainingPrimitives, MeshesAreClosedColouredAndOnTheSurface) {
  for (const PrimitiveSpec& spec : random_specs(1, 5)) {
    const Mesh mesh = primitive_mesh(spec, 48);
    SCOPED_TRACE(spec.caption());
    ASSERT_FALSE(mesh.empty());
    EXPECT_TRUE(testing::is_closed_and_oriented(mesh));
    ASSERT_EQ(mesh.normals.size(), mesh.positions.size());
    ASSERT_EQ(mesh.colors.size(), mesh.positions.size());
    EXPECT_EQ(mesh.colors.front(), primitive_colours()[static_cast<size_t>(spec.colour)].rgb);
    torch::Tensor vertices = torch::empty({static_cast<int64_t>(mesh.positions.size()), 3});
    std::memcpy(vertices.data_ptr<float>(), mesh.positions.data(), mesh.positions.size() * 12);
    const torch::Tensor error = primitive_signed_distance(spec, vertices).abs();
    EXPECT_LT(error.mean().item<double>(), 2e-3);
    EXPECT_LT(error.max().item<double>(), 0.02);
    // Inside [-1, 1]^3 with a margin, with the half-extents it was made with.
    const auto extent = std::get<0>(vertices.abs().max(0));
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(extent[k].item<float>(), spec.half_extents[static_cast<size_t>(k)], 0.045);
  }
  EXPECT_THROW(primitive_mesh(spec_of(PrimitiveKind::kSphere, {0.5f, 0.5f, 0.5f}), 1), std::invalid_argument);
}

// Fractions of the samples and of the mesh's area in bins of height and of distance from the axis.
torch::Tensor bin_fractions(const torch::Tensor& points, const torch::Tensor& weights) {
  const torch::Tensor z = points.select(1, 2), radial = points.slice(1, 0, 2).norm(2, 1);
  const torch::Tensor bins = (((z + 1) * 2).floor().clamp(0, 3) * 2 + (radial > 0.3).to(torch::kFloat32)).to(torch::kLong);
  return torch::zeros({8}, torch::kFloat64).index_add_(0, bins, weights.to(torch::kFloat64)) / weights.sum().item<double>();
}

TEST(TrainingPrimitives, SurfaceSamplesAreExactAndUniformByArea) {
  for (const PrimitiveSpec& spec : random_specs(1, 9)) {
    SCOPED_TRACE(spec.caption());
    const torch::Tensor samples = sample_primitive_surface(spec, 20000, 3);
    ASSERT_EQ(samples.sizes(), (torch::IntArrayRef{20000, 6}));
    const torch::Tensor points = samples.slice(1, 0, 3);
    EXPECT_LT(primitive_signed_distance(spec, points).abs().max().item<double>(), 2e-6);
    const auto& rgb = primitive_colours()[static_cast<size_t>(spec.colour)].rgb;
    EXPECT_TRUE(torch::equal(samples.slice(1, 3, 6), torch::tensor({rgb[0], rgb[1], rgb[2]}).expand({20000, 3})));

    // Compared with the area of a fine mesh's triangles (by centroid) in the same bins.
    const Mesh mesh = primitive_mesh(spec, 64);
    torch::Tensor vertices = torch::empty({static_cast<int64_t>(mesh.positions.size()), 3});
    std::memcpy(vertices.data_ptr<float>(), mesh.positions.data(), mesh.positions.size() * 12);
    torch::Tensor faces = torch::empty({static_cast<int64_t>(mesh.triangles.size()), 3}, torch::kInt32);
    std::memcpy(faces.data_ptr<int32_t>(), mesh.triangles.data(), mesh.triangles.size() * 12);
    const torch::Tensor corners = vertices.index_select(0, faces.view(-1).to(torch::kLong)).view({-1, 3, 3});
    const torch::Tensor areas = torch::cross(corners.select(1, 1) - corners.select(1, 0),
                                             corners.select(1, 2) - corners.select(1, 0), 1).norm(2, 1);
    const torch::Tensor expected = bin_fractions(corners.mean(1), areas);
    const torch::Tensor observed = bin_fractions(points, torch::ones({20000}));
    EXPECT_LT((observed - expected).abs().max().item<double>(), 0.03) << observed << expected;
  }
  EXPECT_TRUE(torch::equal(sample_primitive_surface(random_specs(1, 1)[4], 100, 7),
                           sample_primitive_surface(random_specs(1, 1)[4], 100, 7)));
  EXPECT_FALSE(torch::equal(sample_primitive_surface(random_specs(1, 1)[4], 100, 7),
                            sample_primitive_surface(random_specs(1, 1)[4], 100, 8)));
}

TEST(TrainingPrimitives, HeldOutCombinationsLeaveEveryColourKindPairInTraining) {
  const auto all = all_primitive_combinations();
  const auto held_out = held_out_primitive_combinations();
  EXPECT_EQ(all.size(), 7u * 2u * 8u);
  EXPECT_EQ(held_out.size(), 11u);  // about 10%
  std::set<std::tuple<int, int, int64_t>> held;
  std::set<std::pair<int, int64_t>> held_pairs;
  for (const auto& c : held_out) {
    EXPECT_TRUE(held.insert({static_cast<int>(c.kind), static_cast<int>(c.size), c.colour}).second) << c.caption();
    EXPECT_TRUE(held_pairs.insert({static_cast<int>(c.kind), c.colour}).second) << "both sizes of " << c.caption();
  }
  std::set<int> kinds, sizes;
  std::set<int64_t> colours;
  for (const auto& c : held_out) kinds.insert(static_cast<int>(c.kind)), sizes.insert(static_cast<int>(c.size)), colours.insert(c.colour);
  EXPECT_EQ(kinds.size(), 7u);  // spread out, not one class removed
  EXPECT_EQ(sizes.size(), 2u);
  EXPECT_GE(colours.size(), 6u);
  EXPECT_EQ(held_out_primitive_combinations()[3].caption(), held_out[3].caption());  // fixed
}

TEST(TrainingPrimitives, ClassifierNamesEveryPrimitiveAndColour) {
  int tested = 0;
  for (const PrimitiveSpec& spec : random_specs(3, 17)) {
    const PrimitiveClassification result = classify_primitive(primitive_mesh(spec, 64));
    ASSERT_EQ(result.kind_errors.size(), 7u);
    EXPECT_EQ(primitive_name(result.kind), primitive_name(spec.kind)) << spec.caption() << " " << spec.half_extents[0]
                                                                      << " " << spec.half_extents[2];
    EXPECT_EQ(result.colour, spec.colour) << spec.caption();
    // The right kind wins clearly: every other kind is at least twice as far from the mesh.
    const double right = result.kind_errors[static_cast<size_t>(spec.kind)];
    for (size_t k = 0; k < 7; ++k) {
      if (k != static_cast<size_t>(spec.kind)) EXPECT_GT(result.kind_errors[k], 2 * right) << spec.caption() << " vs " << k;
    }
    ++tested;
  }
  EXPECT_EQ(tested, 42);
  EXPECT_THROW(classify_primitive(Mesh{}), std::invalid_argument);
}

// Decoded meshes are coarser and noisier than primitive_mesh's: a 32^3 grid, vertices jittered by
// N(0, 0.005) and colours by N(0, 0.1).
TEST(TrainingPrimitives, ClassifierToleratesCoarseNoisyMeshes) {
  torch::Generator generator = at::detail::createCPUGenerator(5);
  for (const PrimitiveSpec& spec : random_specs(1, 23)) {
    Mesh mesh = primitive_mesh(spec, 32);
    const torch::Tensor noise = torch::randn({static_cast<int64_t>(mesh.positions.size()), 6}, generator);
    for (size_t i = 0; i < mesh.positions.size(); ++i) {
      for (size_t k = 0; k < 3; ++k) {
        mesh.positions[i][k] += 0.005f * noise[static_cast<int64_t>(i)][static_cast<int64_t>(k)].item<float>();
        mesh.colors[i][k] += 0.1f * noise[static_cast<int64_t>(i)][static_cast<int64_t>(k + 3)].item<float>();
      }
    }
    const PrimitiveClassification result = classify_primitive(mesh);
    EXPECT_EQ(primitive_name(result.kind), primitive_name(spec.kind)) << spec.caption();
    EXPECT_EQ(result.colour, spec.colour) << spec.caption();
  }
}

// A decoder rounds edges off: a cube, cylinder, cone or pyramid rounded by half its smallest
// half-extent (shrunk by r, grown back by a ball of radius r) is still judged what it is, not a
// cylinder, capsule or sphere.
TEST(TrainingPrimitives, ClassifierNamesHeavilyRoundedShapes) {
  const torch::Tensor axis = torch::linspace(-1.0, 1.0, 48, torch::kFloat32);
  const auto grids = torch::meshgrid({axis, axis, axis}, "ij");
  const torch::Tensor points = torch::stack({grids[0].reshape(-1), grids[1].reshape(-1), grids[2].reshape(-1)}, 1);
  int tested = 0;
  for (const PrimitiveSpec& spec : random_specs(2, 31)) {
    if (spec.kind == PrimitiveKind::kSphere || spec.kind == PrimitiveKind::kTorus ||
        spec.kind == PrimitiveKind::kCapsule) {
      continue;
    }
    const float radius = 0.5f * *std::min_element(spec.half_extents.begin(), spec.half_extents.end());
    PrimitiveSpec shrunk = spec;
    for (float& half : shrunk.half_extents) half -= radius;
    const torch::Tensor field = (primitive_signed_distance(shrunk, points) + radius).reshape({48, 48, 48});
    const MarchingCubesResult surface = marching_cubes(field, {-1, -1, -1}, {2, 2, 2});
    const Mesh mesh = mesh_from_tensors(surface.vertices, surface.faces,
                                        torch::full({surface.vertices.size(0), 3}, 0.5f));
    EXPECT_EQ(primitive_name(classify_primitive(mesh).kind), primitive_name(spec.kind)) << spec.caption();
    ++tested;
  }
  EXPECT_EQ(tested, 16);
}

}  // namespace
}  // namespace shape::training
