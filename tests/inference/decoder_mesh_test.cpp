// STF mesh extraction against the official code (golden `decoder`).
#include "decoder_golden.h"

namespace shape {
namespace {

using testing::all_close;

StfMeshResult golden_mesh(ShapeDecoder& decoder, const StateDict& golden, int64_t points_per_chunk = 4096) {
  auto options = decoder->default_mesh_options();
  options.points_per_chunk = points_per_chunk;
  return decoder->extract_mesh(decoder->latent_to_params(golden.at("latent")), options);
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
  const auto mesh = golden_mesh(decoder, golden);
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
  EXPECT_TRUE(all_close(small_chunks.fields, one_chunk.fields, 1e-6, 0));
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
  const auto mesh = decoder->extract_mesh(decoder->latent_to_params(golden.at("latent")), options);
  EXPECT_FALSE(mesh.has_surface());
  EXPECT_TRUE(mesh.mesh.empty());
  EXPECT_EQ(mesh.vertex_colors.size(0), 0);
  EXPECT_EQ(mesh.fields.size(0), 10);
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
