// STF mesh extraction against the official code (golden `decoder`), and coarse-to-fine grid
// sampling against the dense grid on the golden, end-to-end and demo decoders.
#include "decoder_golden.h"
#include "pipeline_test_support.h"
#include "inference/pipeline/latent_decoder.h"
#include "inference/pipeline/latent_generator.h"
#include "inference/pipeline/model_folder.h"

namespace shape {
namespace {

using testing::all_close;

StfMeshResult golden_mesh(ShapeDecoder& decoder, const StateDict& golden, int64_t points_per_chunk = 4096,
                          StfGridSampling sampling = StfGridSampling::kDense) {
  auto options = decoder->default_mesh_options();
  options.points_per_chunk = points_per_chunk;
  options.sampling = sampling;
  return decoder->extract_mesh(decoder->latent_to_params(golden.at("latent")), options);
}

// A mesh as tensors: vertices [V, 3], faces [F, 3] int64, vertex colours [V, 3].
struct Surface {
  torch::Tensor vertices, faces, colours;
};

Surface surface_of(const StfMeshResult& mesh) { return {mesh.vertices, mesh.faces, mesh.vertex_colors}; }

Surface surface_of(const Mesh& mesh) {
  return {testing::mesh_positions(mesh), testing::mesh_faces(mesh), testing::mesh_colors(mesh)};
}

double surface_area(const Surface& mesh) {
  const auto corner = [&](int64_t i) { return mesh.vertices.index_select(0, mesh.faces.select(1, i)); };
  const auto a = corner(0);
  return torch::cross(corner(1) - a, corner(2) - a, 1).norm(2, 1).sum().item<double>() / 2.0;
}

// The coarse-to-fine mesh is the dense one's surface. To the last bit where float32 products round
// a point alike in any batch (OpenBLAS's AVX-512 kernels); its AVX2 kernels (any CPU without
// AVX-512, and those Debian 12's OpenBLAS does not know, such as AMD Zen 5) round a point by its
// batch, ~1e-7 apart, which can flip a marching-cubes case where a grid value is near zero. So the
// meshes are compared as surfaces: face count, area, extent and colour.
void expect_same_surface(const Surface& refined, const Surface& dense) {
  ASSERT_GT(dense.faces.size(0), 0);
  const auto faces = static_cast<double>(dense.faces.size(0));
  EXPECT_NEAR(static_cast<double>(refined.faces.size(0)), faces, 0.002 * faces);
  const double area = surface_area(dense);
  EXPECT_NEAR(surface_area(refined), area, 1e-3 * area);
  EXPECT_TRUE(all_close(std::get<0>(refined.vertices.min(0)), std::get<0>(dense.vertices.min(0)), 1e-4, 0));
  EXPECT_TRUE(all_close(std::get<0>(refined.vertices.max(0)), std::get<0>(dense.vertices.max(0)), 1e-4, 0));
  EXPECT_TRUE(all_close(refined.colours.mean(0), dense.colours.mean(0), 1e-4, 0));
}

// Both samplings of one latent's grid at `grid_size` give the same surface (expect_same_surface).
void expect_coarse_to_fine_matches_dense(ShapeDecoder& decoder, const MetaParameters& params, int64_t grid_size) {
  SCOPED_TRACE("grid " + std::to_string(grid_size));
  auto options = decoder->default_mesh_options();
  options.grid_size = grid_size;
  options.sampling = StfGridSampling::kDense;
  const auto dense = decoder->extract_mesh(params, options);
  options.sampling = StfGridSampling::kCoarseToFine;
  const auto refined = decoder->extract_mesh(params, options);
  ASSERT_TRUE(dense.has_surface());
  ASSERT_TRUE(refined.has_surface());
  expect_same_surface(surface_of(refined), surface_of(dense));
  EXPECT_LT(refined.timings.grid_points_queried, dense.timings.grid_points_queried);
  std::printf("grid %lld: %lld of %lld points queried\n", static_cast<long long>(grid_size),
              static_cast<long long>(refined.timings.grid_points_queried),
              static_cast<long long>(dense.timings.grid_points_queried));
}

TEST(StfMesher, QueryPointsAreXMajorOverTheBox) {
  const auto points = volume_query_points(BoundingBoxConfig{}, 4);
  ASSERT_EQ(points.sizes(), (std::vector<int64_t>{64, 3}));
  EXPECT_TRUE(all_close(points[0], torch::tensor({-1.0f, -1.0f, -1.0f}), 0, 0));
  EXPECT_TRUE(all_close(points[1], torch::tensor({-1.0f, -1.0f, -1.0f / 3.0f}), 1e-6, 0));
  EXPECT_TRUE(all_close(points[4], torch::tensor({-1.0f, -1.0f / 3.0f, -1.0f}), 1e-6, 0));
  EXPECT_TRUE(all_close(points[16], torch::tensor({-1.0f / 3.0f, -1.0f, -1.0f}), 1e-6, 0));
  EXPECT_TRUE(all_close(points[63], torch::tensor({1.0f, 1.0f, 1.0f}), 0, 0));
}

TEST(StfMesher, GridFieldsMatchOfficial) {
  torch::NoGradGuard no_grad;
  auto decoder = testing::golden_decoder();
  const auto golden = testing::load_golden("decoder");
  const auto mesh = golden_mesh(decoder, golden);
  EXPECT_TRUE(all_close(mesh.raw_signed_distance.unsqueeze(0), golden.at("stf.raw_signed_distance"), 1e-3, 0));
  EXPECT_TRUE(all_close(mesh.raw_density.unsqueeze(0), golden.at("stf.raw_density"), 1e-3, 1e-4));
  EXPECT_TRUE(all_close(mesh.fields.unsqueeze(0), golden.at("stf.fields"), 1e-3, 0));
}

TEST(StfMesher, MeshAndLinearVertexColoursMatchOfficial) {
  torch::NoGradGuard no_grad;
  auto decoder = testing::golden_decoder();
  const auto golden = testing::load_golden("decoder");
  for (const auto sampling : {StfGridSampling::kDense, StfGridSampling::kCoarseToFine}) {
    SCOPED_TRACE(sampling == StfGridSampling::kDense ? "dense" : "coarse to fine");
    const auto mesh = golden_mesh(decoder, golden, 4096, sampling);
    ASSERT_TRUE(mesh.has_surface());
    EXPECT_TRUE(all_close(mesh.vertices, golden.at("stf.mesh.verts"), 1e-4, 0));
    EXPECT_TRUE(testing::exactly_equal(mesh.faces, golden.at("stf.mesh.faces")));
    const char* names[] = {"R", "G", "B"};
    for (int c = 0; c < 3; ++c) {
      EXPECT_TRUE(all_close(mesh.vertex_colors.select(1, c), golden.at(std::string("stf.mesh.vertex_channels.") + names[c]),
                            1e-3, 0))
          << names[c];
    }
  }
}

TEST(StfMesher, PlainMeshCarriesTheSameSurfaceWithOutwardNormals) {
  torch::NoGradGuard no_grad;
  auto decoder = testing::golden_decoder();
  const auto golden = testing::load_golden("decoder");
  const auto result = golden_mesh(decoder, golden);
  const auto& mesh = result.mesh;
  ASSERT_EQ(mesh.positions.size(), static_cast<size_t>(result.vertices.size(0)));
  ASSERT_EQ(mesh.triangles.size(), static_cast<size_t>(result.faces.size(0)));
  ASSERT_EQ(mesh.normals.size(), mesh.positions.size());
  ASSERT_EQ(mesh.colors.size(), mesh.positions.size());
  EXPECT_EQ(mesh.triangles[5][1], static_cast<uint32_t>(result.faces[5][1].item<int64_t>()));
  EXPECT_FLOAT_EQ(mesh.colors[7][2], result.vertex_colors[7][2].item<float>());
  // Normals point down the sampled SDF (positive inside): compare with its central differences at
  // the nearest grid point (the MLP itself varies faster than one grid cell).
  std::vector<float> normals;
  for (const auto& normal : mesh.normals) normals.insert(normals.end(), normal.begin(), normal.end());
  const auto& fields = result.fields;
  const int64_t n = fields.size(0);
  const auto cell = ((result.vertices + 1) / 2 * (n - 1)).round().to(torch::kLong).clamp(1, n - 2);
  auto at = [&](int dx, int dy, int dz) {
    return fields.index({cell.select(1, 0) + dx, cell.select(1, 1) + dy, cell.select(1, 2) + dz});
  };
  const auto gradient = torch::stack({at(1, 0, 0) - at(-1, 0, 0), at(0, 1, 0) - at(0, -1, 0), at(0, 0, 1) - at(0, 0, -1)}, 1);
  const auto outward = (torch::tensor(normals).view({-1, 3}) * -gradient).sum(1) > 0;
  EXPECT_GT(outward.to(torch::kFloat32).mean().item<float>(), 0.99f);
}

TEST(StfMesher, ChunkSizeDoesNotChangeTheField) {
  torch::NoGradGuard no_grad;
  auto decoder = testing::golden_decoder();
  const auto golden = testing::load_golden("decoder");
  const auto small_chunks = golden_mesh(decoder, golden, 1000);  // not a divisor of 32^3
  const auto one_chunk = golden_mesh(decoder, golden, 1 << 20);
  // Bitwise with OpenBLAS's AVX-512 kernels; its AVX2 ones round a point by its batch (see above).
  EXPECT_TRUE(all_close(small_chunks.fields, one_chunk.fields, 1e-3, 0));  // measured: 1.8e-4
  EXPECT_TRUE(testing::exactly_equal(small_chunks.faces, one_chunk.faces));
}

TEST(StfMesher, FieldWithoutSurfaceGivesAnEmptyMesh) {
  torch::NoGradGuard no_grad;
  auto decoder = testing::golden_decoder();
  const auto golden = testing::load_golden("decoder");
  {
    // Push the SDF far outside everywhere through the last layer's bias.
    torch::NoGradGuard guard;
    decoder->mlp().layer(6)->bias[0].fill_(-100.0f);
  }
  auto options = decoder->default_mesh_options();
  options.grid_size = 8;
  for (const auto sampling : {StfGridSampling::kDense, StfGridSampling::kCoarseToFine}) {
    options.sampling = sampling;
    const auto mesh = decoder->extract_mesh(decoder->latent_to_params(golden.at("latent")), options);
    EXPECT_FALSE(mesh.has_surface());
    EXPECT_TRUE(mesh.mesh.empty());
    EXPECT_EQ(mesh.vertex_colors.size(0), 0);
    EXPECT_EQ(mesh.fields.size(0), 10);
  }
}

TEST(StfMesher, CoarseToFineMeshMatchesTheDenseOneOnTheGoldenDecoder) {
  torch::NoGradGuard no_grad;
  auto decoder = testing::golden_decoder();
  const auto params = decoder->latent_to_params(testing::load_golden("decoder").at("latent"));
  for (const int64_t grid : {32, 64, 100}) expect_coarse_to_fine_matches_dense(decoder, params, grid);
}

TEST(StfMesher, CoarseToFineMeshMatchesTheDenseOneOnTheEndToEndLatents) {
  torch::NoGradGuard no_grad;
  ShapeDecoder decoder = testing::end_to_end_decoder();
  for (const std::string kind : {"text", "image"}) {
    const auto latents = testing::load_golden("e2e_" + kind).at("sample");
    for (int64_t i = 0; i < latents.size(0); ++i) {
      SCOPED_TRACE(kind + " latent " + std::to_string(i));
      const auto params = decoder->latent_to_params(latents.narrow(0, i, 1));
      for (const int64_t grid : {32, 64}) expect_coarse_to_fine_matches_dense(decoder, params, grid);
    }
  }
}

// The demo model's "a red cube" (a real, trained field), through the torch-free front end.
TEST(StfMesher, CoarseToFineMeshMatchesTheDenseOneOnTheDemoModel) {
  const auto files = model_folder_files(demo_model_folder());
  LatentGenerator generator(files.generator);
  GenerationSettings settings;
  settings.steps = 16;
  choose_guidance(settings, std::nullopt, files.recommended_guidance, 2.0);
  const auto latent = generator.generate({{"a red cube", {}}}, settings).latents.at(0);
  LatentDecoder decoder(files.decoder_config, files.decoder_weights);
  for (const int64_t grid : {64, 128}) {
    SCOPED_TRACE("grid " + std::to_string(grid));
    const auto dense = decoder.decode_mesh(latent, {grid, /*dense_grid=*/true});
    const auto refined = decoder.decode_mesh(latent, {grid});
    ASSERT_GT(dense.triangles.size(), 1000u);
    expect_same_surface(surface_of(refined), surface_of(dense));
  }
}

TEST(StfMesher, SrgbToLinearMatchesTheOfficialCurve) {
  const auto srgb = torch::tensor({0.0f, 0.04f, 0.5f, 1.0f});
  const auto linear = srgb_to_linear(srgb);
  EXPECT_NEAR(linear[1].item<float>(), 0.04f / 12.92f, 1e-7);
  EXPECT_NEAR(linear[2].item<float>(), std::pow((0.5f + 0.055f) / 1.055f, 2.4f), 1e-6);
  EXPECT_NEAR(linear[3].item<float>(), 1.0f, 1e-6);
}

}  // namespace
}  // namespace shape
