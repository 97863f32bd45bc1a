// Training data: mesh sampling and signed distance, the procedural and mesh-folder datasets.
#include "inference/training/shape_dataset.h"

#include <cmath>
#include <map>
#include <set>

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "inference/export/mesh_export.h"
#include "inference/training/primitives.h"
#include "tests/inference/checkpoint_test_util.h"
#include "tests/inference/mesh_test_util.h"

namespace shape::training {
namespace {

using checkpoint_test::TempDir;

// Uniform in [-1, 1]^3, the same on every run.
torch::Tensor random_points(int64_t count, uint64_t seed, torch::Dtype dtype = torch::kFloat32) {
  return torch::rand({count, 3}, at::detail::createCPUGenerator(seed), torch::TensorOptions().dtype(dtype)) * 2 - 1;
}

// The unit cube soup moved to [-0.5, 0.5]^3; colour = position + 0.5.
Mesh centred_cube() {
  Mesh mesh = testing::cube_soup();
  for (auto& p : mesh.positions) {
    for (float& x : p) x -= 0.5f;
  }
  return mesh;
}

torch::Tensor box_sdf(const torch::Tensor& p, double half) {
  const torch::Tensor q = p.abs() - half;
  return -(q.clamp_min(0).norm(2, 1) + std::get<0>(q.max(1)).clamp_max(0));
}

TEST(TrainingMeshSampling, CubeSignedDistanceAndColourMatchTheAnalyticBox) {
  const Mesh cube = centred_cube();
  const torch::Tensor points = random_points(2000, 1, torch::kFloat64);
  torch::Tensor colour;
  const torch::Tensor sdf = mesh_signed_distance(cube, points, &colour);
  ASSERT_EQ(sdf.sizes(), (torch::IntArrayRef{2000}));
  ASSERT_EQ(sdf.scalar_type(), torch::kFloat32);
  EXPECT_LT((sdf.to(torch::kFloat64) - box_sdf(points, 0.5)).abs().max().item<double>(), 1e-5);
  // Outside, the closest point is the clamped point, and colour = position + 0.5 is linear.
  const torch::Tensor outside = sdf < -1e-3;
  const torch::Tensor expected = points.clamp(-0.5, 0.5) + 0.5;
  EXPECT_GT(outside.sum().item<int64_t>(), 1000);
  EXPECT_LT((colour.to(torch::kFloat64) - expected).index({outside}).abs().max().item<double>(), 1e-5);
  // Inside, the closest point is on the nearest face: its coordinate along that axis is +-0.5.
  const torch::Tensor inside = sdf > 1e-3;
  const torch::Tensor on_face = std::get<0>(((colour.index({inside}) - 0.5).abs() - 0.5).abs().min(1));
  EXPECT_LT(on_face.max().item<float>(), 1e-5);
}

TEST(TrainingMeshSampling, SphereSignedDistanceAndWindingSign) {
  const Mesh sphere = testing::colored_sphere(40);  // radius 0.6
  const torch::Tensor points = random_points(1000, 2);
  const torch::Tensor sdf = mesh_signed_distance(sphere, points);
  const torch::Tensor radius = points.norm(2, 1);
  EXPECT_LT((sdf - (0.6 - radius)).abs().max().item<float>(), 5e-3);
  EXPECT_TRUE((sdf.index({radius < 0.55}) > 0).all().item<bool>());
  EXPECT_TRUE((sdf.index({radius > 0.65}) < 0).all().item<bool>());
  EXPECT_THROW(mesh_signed_distance(Mesh{}, points), std::invalid_argument);
  EXPECT_THROW(mesh_signed_distance(sphere, torch::rand({4, 2})), std::invalid_argument);
}

// A solid of revolution as an n-gon prism (cylinder) or pyramid (cone): the bottom ring of radius r
// at z = -h, starting at angle `phase`, and the top ring or apex at z = +h; outward-wound.
Mesh lathe(int n, float r, float h, bool pointed, double phase = 0) {
  Mesh mesh;
  for (int i = 0; i < n; ++i) {
    const double angle = phase + 2 * M_PI * i / n;
    const float x = static_cast<float>(r * std::cos(angle)), y = static_cast<float>(r * std::sin(angle));
    mesh.positions.push_back({x, y, -h});
    if (!pointed) mesh.positions.push_back({x, y, h});
  }
  const auto top_centre = static_cast<uint32_t>(mesh.positions.size()), bottom_centre = top_centre + 1;
  mesh.positions.push_back({0, 0, h});
  mesh.positions.push_back({0, 0, -h});
  const auto stride = pointed ? 1u : 2u;
  for (uint32_t i = 0; i < static_cast<uint32_t>(n); ++i) {
    const uint32_t b0 = i * stride, b1 = (i + 1) % static_cast<uint32_t>(n) * stride;
    mesh.triangles.push_back({bottom_centre, b1, b0});
    if (pointed) {
      mesh.triangles.push_back({b0, b1, top_centre});
    } else {
      mesh.triangles.push_back({b0, b1, b1 + 1});
      mesh.triangles.push_back({b0, b1 + 1, b0 + 1});
      mesh.triangles.push_back({top_centre, b0 + 1, b1 + 1});
    }
  }
  return mesh;
}

TEST(TrainingMeshSampling, PolyhedraMatchTheAnalyticDistancesExactly) {
  const torch::Tensor points = random_points(1000, 3);
  const auto max_error = [&](const Mesh& mesh, const PrimitiveSpec& spec) {
    return (mesh_signed_distance(mesh, points) - primitive_signed_distance(spec, points)).abs().max().item<float>();
  };
  EXPECT_TRUE(testing::is_closed_and_oriented(lathe(5, 1, 1, true)));
  EXPECT_TRUE(testing::is_closed_and_oriented(lathe(5, 1, 1, false)));
  const PrimitiveSpec pyramid{PrimitiveKind::kPyramid, PrimitiveSize::kLarge, 0, {0.4f, 0.4f, 0.7f}};
  EXPECT_LT(max_error(lathe(4, 0.4f * std::sqrt(2.0f), 0.7f, true, M_PI / 4), pyramid), 2e-6);
  // 256-gons lie within r (1 - cos(pi / 256)) = 4e-5 of the round shapes.
  const PrimitiveSpec cone{PrimitiveKind::kCone, PrimitiveSize::kLarge, 0, {0.6f, 0.6f, 0.5f}};
  EXPECT_LT(max_error(lathe(256, 0.6f, 0.5f, true), cone), 5e-5);
  const PrimitiveSpec cylinder{PrimitiveKind::kCylinder, PrimitiveSize::kLarge, 0, {0.5f, 0.5f, 0.3f}};
  EXPECT_LT(max_error(lathe(256, 0.5f, 0.3f, false), cylinder), 5e-5);
  const PrimitiveSpec box{PrimitiveKind::kCube, PrimitiveSize::kLarge, 0, {0.5f, 0.5f, 0.5f}};
  EXPECT_LT(max_error(centred_cube(), box), 2e-6);
}

TEST(TrainingMeshSampling, SignedDistanceOfPrimitiveMeshesMatchesTheAnalyticOnes) {
  for (PrimitiveKind kind : all_primitive_kinds()) {
    const PrimitiveSpec spec = make_primitive(kind, PrimitiveSize::kLarge, 2, 11);
    const torch::Tensor points = random_points(300, 4);
    const torch::Tensor error = (mesh_signed_distance(primitive_mesh(spec, 48), points) -
                                 primitive_signed_distance(spec, points)).abs();
    // Marching cubes bevels sharp edges by up to about a grid step (0.043) and cuts off a slender
    // apex by up to about two.
    EXPECT_LT(error.max().item<float>(), 0.1) << spec.caption();
    EXPECT_LT(error.mean().item<float>(), 6e-3) << spec.caption();
  }
}

TEST(TrainingMeshSampling, SurfaceSamplesLieOnTheMeshWithInterpolatedColours) {
  const Mesh cube = centred_cube();
  const torch::Tensor samples = sample_surface(cube, 6000, 5);
  ASSERT_EQ(samples.sizes(), (torch::IntArrayRef{6000, 6}));
  const torch::Tensor points = samples.slice(1, 0, 3);
  EXPECT_LT(mesh_signed_distance(cube, points).abs().max().item<float>(), 1e-5);
  EXPECT_LT(((std::get<0>(points.abs().max(1))) - 0.5).abs().max().item<float>(), 1e-6);  // on a face
  EXPECT_LT((samples.slice(1, 3, 6) - (points + 0.5)).abs().max().item<float>(), 1e-5);   // colour = p + 0.5
  // Uniform by area: each of the six faces gets about a sixth.
  const torch::Tensor face = std::get<1>(points.abs().max(1)) * 2 + (std::get<0>(points.max(1)) > 0.4999).to(torch::kLong);
  const torch::Tensor counts = torch::bincount(face, {}, 6).to(torch::kFloat64) / 6000.0;
  EXPECT_LT((counts - 1.0 / 6).abs().max().item<double>(), 0.025) << counts;

  EXPECT_TRUE(torch::equal(samples, sample_surface(cube, 6000, 5)));
  EXPECT_FALSE(torch::equal(samples, sample_surface(cube, 6000, 6)));
  Mesh grey = cube;
  grey.colors.clear();
  EXPECT_TRUE((sample_surface(grey, 10, 1).slice(1, 3, 6) == 0.5f).all().item<bool>());
}

TEST(TrainingPrimitiveDataset, SamplesAreDeterministicAndConsistent) {
  const auto dataset = make_primitive_dataset(30, 7);
  ASSERT_EQ(dataset->size(), 30);
  SampleOptions options;
  options.surface_points = 256, options.near_surface_points = 300, options.uniform_points = 100;
  const ShapeSample a = dataset->sample(4, 11, options);
  EXPECT_EQ(a.caption, dataset->caption(4));
  ASSERT_EQ(a.surface.sizes(), (torch::IntArrayRef{256, 6}));
  ASSERT_EQ(a.query_points.sizes(), (torch::IntArrayRef{400, 3}));
  ASSERT_EQ(a.query_sdf.sizes(), (torch::IntArrayRef{400}));
  ASSERT_EQ(a.query_colour.sizes(), (torch::IntArrayRef{400, 3}));
  for (const torch::Tensor& t : {a.surface, a.query_points, a.query_sdf, a.query_colour}) {
    EXPECT_EQ(t.scalar_type(), torch::kFloat32);
    EXPECT_TRUE(t.is_contiguous());
  }

  const ShapeSample same = make_primitive_dataset(30, 7)->sample(4, 11, options);
  EXPECT_EQ(same.caption, a.caption);
  for (auto [x, y] : {std::pair{a.surface, same.surface}, {a.query_points, same.query_points},
                      {a.query_sdf, same.query_sdf}, {a.query_colour, same.query_colour}}) {
    EXPECT_TRUE(torch::equal(x, y));
  }
  const ShapeSample other_seed = dataset->sample(4, 12, options);
  EXPECT_FALSE(torch::equal(a.surface, other_seed.surface));
  EXPECT_FALSE(torch::equal(a.query_points, other_seed.query_points));
  EXPECT_FALSE(torch::equal(dataset->sample(5, 11, options).surface, a.surface));
  // Another dataset seed: the same combinations, other proportions.
  const auto reseeded = make_primitive_dataset(30, 8);
  EXPECT_EQ(reseeded->caption(4), a.caption);
  EXPECT_FALSE(torch::equal(reseeded->sample(4, 11, options).query_sdf, a.query_sdf));

  // Near-surface queries are about sigma from the surface, uniform ones fill the cube, targets are
  // the shape's own.
  const torch::Tensor near = a.query_sdf.slice(0, 0, 300).abs();
  EXPECT_LT(near.mean().item<float>(), 2 * options.near_surface_sigma);
  EXPECT_GT(near.mean().item<float>(), 0.3 * options.near_surface_sigma);
  const torch::Tensor uniform = a.query_points.slice(0, 300);
  EXPECT_LE(uniform.abs().max().item<float>(), 1.0f);
  EXPECT_GT(uniform.abs().max().item<float>(), 0.9f);
  EXPECT_GT((a.query_sdf < 0).sum().item<int64_t>(), 100);
  EXPECT_GT((a.query_sdf > 0).sum().item<int64_t>(), 50);
  EXPECT_THROW(dataset->sample(30, 0, options), std::out_of_range);
  SampleOptions negative = options;
  negative.uniform_points = -1;
  EXPECT_THROW(dataset->sample(0, 0, negative), std::invalid_argument);
}

TEST(TrainingPrimitiveDataset, TargetsAreTheAnalyticShape) {
  const auto dataset = make_primitive_dataset(14, 3);
  SampleOptions options;
  options.surface_points = 200, options.near_surface_points = 200, options.uniform_points = 200;
  for (int64_t i = 0; i < dataset->size(); ++i) {
    const ShapeSample s = dataset->sample(i, 1, options);
    EXPECT_TRUE((s.query_colour == s.surface.slice(1, 3, 6)[0]).all().item<bool>()) << s.caption;
    // The targets' surface is where the surface points are: the SDF is 1-Lipschitz and zero on the
    // surface, so no query's |sdf| exceeds its distance to the nearest surface point.
    const auto [nearest, index] = torch::cdist(s.query_points, s.surface.slice(1, 0, 3)).min(1);
    EXPECT_TRUE((s.query_sdf.abs() <= nearest + 1e-5).all().item<bool>()) << s.caption;
  }
}

TEST(TrainingPrimitiveDataset, HeldOutCombinationsNeverAppear) {
  const auto held_out = held_out_primitive_combinations();
  std::set<std::string> held;
  for (const auto& c : held_out) held.insert(c.caption());
  const int64_t training = static_cast<int64_t>(all_primitive_combinations().size() - held_out.size());
  const auto dataset = make_primitive_dataset(2 * training, 1);
  std::map<std::string, int> seen;
  for (int64_t i = 0; i < dataset->size(); ++i) ++seen[dataset->caption(i)];
  EXPECT_EQ(static_cast<int64_t>(seen.size()), training);  // every training combination, twice
  for (const auto& [caption, count] : seen) {
    EXPECT_EQ(held.count(caption), 0u) << caption;
    EXPECT_EQ(count, 2) << caption;
  }
  for (const auto& kind : all_primitive_kinds()) {
    for (const auto& colour : primitive_colours()) {
      const std::string suffix = " " + colour.name + " " + primitive_name(kind);
      EXPECT_TRUE(seen.count("a small" + suffix) || seen.count("a large" + suffix)) << suffix;
    }
  }
}

TEST(TrainingPrimitiveDataset, KindWeightsRepeatAKindsCombinations) {
  // Per kind, its 16 combinations less the held-out ones.
  std::map<PrimitiveKind, int64_t> training_per_kind;
  const auto held_out = held_out_primitive_combinations();
  for (const auto& c : all_primitive_combinations()) ++training_per_kind[c.kind];
  for (const auto& c : held_out) --training_per_kind[c.kind];
  const int64_t cycle = static_cast<int64_t>(all_primitive_combinations().size() - held_out.size()) +
                        2 * training_per_kind[PrimitiveKind::kCube] - training_per_kind[PrimitiveKind::kSphere];
  const auto dataset =
      make_primitive_dataset(2 * cycle, 1, parse_primitive_kind_weights("cube=3,sphere=0,torus=1"));
  std::map<std::string, int> kinds;
  for (int64_t i = 0; i < dataset->size(); ++i) {
    const std::string caption = dataset->caption(i);
    ++kinds[caption.substr(caption.rfind(' ') + 1)];
  }
  EXPECT_EQ(kinds["cube"], 2 * 3 * training_per_kind[PrimitiveKind::kCube]);
  EXPECT_EQ(kinds.count("sphere"), 0u);
  EXPECT_EQ(kinds["torus"], 2 * training_per_kind[PrimitiveKind::kTorus]);
  EXPECT_EQ(kinds["cone"], 2 * training_per_kind[PrimitiveKind::kCone]);
  // A repeated combination is drawn again, with its own proportions (its bounding box).
  SampleOptions options;
  options.surface_points = 512, options.near_surface_points = 1, options.uniform_points = 1;
  const auto first = dataset->sample(0, 0, options), repeat = dataset->sample(1, 0, options);
  ASSERT_EQ(first.caption, repeat.caption);
  const auto extents = [](const ShapeSample& s) { return std::get<0>(s.surface.slice(1, 0, 3).abs().max(0)); };
  EXPECT_GT((extents(first) - extents(repeat)).abs().max().item<float>(), 0.01f);
}

TEST(TrainingPrimitiveDataset, KindWeightsParseOrSayWhatIsWrong) {
  EXPECT_EQ(parse_primitive_kind_weights("cube=3"), (PrimitiveKindWeights{{PrimitiveKind::kCube, 3}}));
  EXPECT_EQ(parse_primitive_kind_weights("pyramid=2,capsule=0"),
            (PrimitiveKindWeights{{PrimitiveKind::kPyramid, 2}, {PrimitiveKind::kCapsule, 0}}));
  const auto error_of = [](const std::string& text) {
    try {
      parse_primitive_kind_weights(text);
    } catch (const std::invalid_argument& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  for (const std::string bad : {"", "cube", "cube=", "cube=-1", "cube=1.5", "box=2", "cube=2,", "cube=1000"}) {
    EXPECT_NE(error_of(bad).find("expected KIND=N"), std::string::npos) << bad << ": " << error_of(bad);
  }
  EXPECT_NE(error_of("box=2").find("'box=2'"), std::string::npos);
  EXPECT_NE(error_of("cube=1,cube=2").find("'cube' is given twice"), std::string::npos);
  EXPECT_THROW(make_primitive_dataset(10, 0, parse_primitive_kind_weights(
                                                 "cube=0,sphere=0,torus=0,cone=0,cylinder=0,pyramid=0,capsule=0")),
               std::invalid_argument);
}

void write_captions(const TempDir& dir, const std::string& text) { dir.write("captions.jsonl", text); }

TEST(TrainingMeshFolder, LoadsNormalisesAndSamples) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "shapes");
  // A sphere of radius 0.6, shifted and scaled up: the loader brings it back to radius 0.9.
  Mesh sphere = testing::colored_sphere(32);
  for (auto& p : sphere.positions) p = {p[0] * 2 + 3, p[1] * 2, p[2] * 2 - 1};
  export_mesh(sphere, dir.path() / "shapes" / "ball.ply", {MeshFormat::kPly, true, 0});
  Mesh cube = centred_cube();
  cube.colors.clear();
  export_mesh(cube, dir.path() / "box.obj", {MeshFormat::kObj, true, 0});
  write_captions(dir, "{\"mesh\": \"shapes/ball.ply\", \"caption\": \"a ball\"}\n\n"
                      "{\"caption\": \" a grey box \", \"mesh\": \"box.obj\", \"source\": \"test\"}\n");

  const auto dataset = load_mesh_folder_dataset(dir.path());
  ASSERT_EQ(dataset->size(), 2);
  EXPECT_EQ(dataset->caption(0), "a ball");
  EXPECT_EQ(dataset->caption(1), "a grey box");

  SampleOptions options;
  options.surface_points = 500, options.near_surface_points = 300, options.uniform_points = 300;
  const ShapeSample ball = dataset->sample(0, 4, options);
  const torch::Tensor radius = ball.surface.slice(1, 0, 3).norm(2, 1);
  EXPECT_LT((radius - 0.9).abs().max().item<float>(), 0.01);
  EXPECT_LT((ball.query_sdf - (0.9 - ball.query_points.norm(2, 1))).abs().max().item<float>(), 0.01);
  EXPECT_GT(ball.surface.slice(1, 3, 6).std().item<float>(), 0.1);  // position-dependent colours kept

  const ShapeSample box = dataset->sample(1, 4, options);  // scaled from half-size 0.5 to 0.9
  EXPECT_LT((box.query_sdf.to(torch::kFloat64) - box_sdf(box.query_points.to(torch::kFloat64), 0.9)).abs().max().item<double>(), 1e-4);
  EXPECT_TRUE((box.query_colour == 0.5f).all().item<bool>());  // uncoloured: mid-grey
  EXPECT_TRUE((box.surface.slice(1, 3, 6) == 0.5f).all().item<bool>());

  const ShapeSample again = load_mesh_folder_dataset(dir.path())->sample(1, 4, options);
  EXPECT_TRUE(torch::equal(again.query_sdf, box.query_sdf));
  EXPECT_TRUE(torch::equal(again.surface, box.surface));
  EXPECT_FALSE(torch::equal(dataset->sample(1, 5, options).surface, box.surface));
  EXPECT_THROW(dataset->sample(2, 0, options), std::out_of_range);
}

// The error load_mesh_folder_dataset throws for this captions.jsonl (and an existing box.obj).
std::string load_error(const std::string& captions) {
  TempDir dir;
  export_mesh(centred_cube(), dir.path() / "box.obj", {MeshFormat::kObj, true, 0});
  dir.write("flat.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\n");
  write_captions(dir, captions);
  try {
    load_mesh_folder_dataset(dir.path());
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(TrainingMeshFolder, ReportsProblemsWithFileAndLine) {
  const std::string good = "{\"mesh\": \"box.obj\", \"caption\": \"a box\"}\n";
  const auto expect_error = [](const std::string& message, const std::vector<std::string>& parts) {
    for (const std::string& part : parts) EXPECT_NE(message.find(part), std::string::npos) << message << " lacks " << part;
  };
  expect_error(load_error(good + "{\"mesh\": \"box.obj\", \"caption\": \"a box\",}\n"), {"captions.jsonl line 2", "bad JSON"});
  expect_error(load_error(good + good + "not json\n"), {"line 3", "bad JSON"});
  expect_error(load_error(good + "{\"mesh\": \"chair.obj\", \"caption\": \"a chair\"}\n"),
               {"line 2", "missing mesh file", "chair.obj"});
  expect_error(load_error("{\"mesh\": \"box.obj\", \"caption\": \"  \"}\n"), {"line 1", "empty caption"});
  expect_error(load_error("{\"mesh\": \"box.obj\"}\n"), {"line 1", "\"caption\""});
  expect_error(load_error("[1, 2]\n"), {"line 1", "\"mesh\""});
  expect_error(load_error(good + "{\"mesh\": \"flat.obj\", \"caption\": \"no faces\"}\n"), {"line 2", "flat.obj"});
  expect_error(load_error(""), {"captions.jsonl", "no entries"});
  expect_error(load_error("\n  \n"), {"no entries"});

  TempDir empty;
  EXPECT_THROW(load_mesh_folder_dataset(empty.path()), std::runtime_error);
  EXPECT_THROW(load_mesh_folder_dataset(empty.path() / "absent"), std::runtime_error);
}

}  // namespace
}  // namespace shape::training
