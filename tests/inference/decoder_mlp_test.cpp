// Parity of the params projection and the NeRSTF MLP with the official code (golden `decoder`).
#include "decoder_golden.h"

namespace shape {
namespace {

using testing::all_close;

TEST(ParamsProjection, MatchesOfficialBottleneckToParams) {
  torch::NoGradGuard no_grad;
  auto decoder = testing::golden_decoder();
  const auto golden = testing::load_golden("decoder");
  const auto params = decoder->latent_to_params(golden.at("latent"));
  ASSERT_EQ(params.size(), 4u);
  for (int k = 0; k < 4; ++k) {
    const auto name = "nerstf.mlp." + std::to_string(k) + ".weight";
    EXPECT_TRUE(all_close(params.at(name), golden.at("params." + name), 1e-5, 1e-5)) << name;
  }
}

TEST(ParamsProjection, AcceptsUnbatchedAndVectorLatentsAndRejectsWrongSizes) {
  torch::NoGradGuard no_grad;
  auto decoder = testing::golden_decoder();
  const auto latent = testing::load_golden("decoder").at("latent");
  const auto reference = decoder->latent_to_params(latent).at("nerstf.mlp.2.weight");
  EXPECT_TRUE(torch::equal(decoder->latent_to_params(latent[0]).at("nerstf.mlp.2.weight"), reference));
  EXPECT_TRUE(torch::equal(decoder->latent_to_params(latent.view({1, 256, 16})).at("nerstf.mlp.2.weight"), reference));
  EXPECT_THROW(decoder->latent_to_params(torch::zeros({1, 4095})), c10::Error);
}

TEST(ParamsProjection, BatchedLatentsProjectIndependently) {
  torch::NoGradGuard no_grad;
  auto decoder = testing::golden_decoder();
  const auto latent = testing::load_golden("decoder").at("latent");
  const auto other = torch::tanh(torch::randn_like(latent));
  const auto both = decoder->latent_to_params(torch::cat({latent, other}));
  const auto first = decoder->latent_to_params(latent);
  const auto second = decoder->latent_to_params(other);
  for (const auto& [name, tensor] : both) {
    EXPECT_TRUE(all_close(tensor[0], first.at(name)[0], 1e-6, 1e-6)) << name;
    EXPECT_TRUE(all_close(tensor[1], second.at(name)[0], 1e-6, 1e-6)) << name;
  }
}

TEST(NerstfMlp, PositionalEncodingHasShapEsLayout) {
  const auto x = torch::tensor({{0.25f, -0.5f, 1.0f}});
  const auto encoded = nerf_positional_encoding(x, 15);
  ASSERT_EQ(encoded.size(1), kNerfPositionEncodingWidth);
  EXPECT_EQ(nerf_positional_encoding(x, 8).size(1), kNerfDirectionEncodingWidth);
  // [x, sin(2^k x_d) frequency-major, then the same + pi/2].
  EXPECT_FLOAT_EQ(encoded[0][0].item<float>(), 0.25f);
  EXPECT_NEAR(encoded[0][3 + 3 * 2 + 1].item<float>(), std::sin(4.0f * -0.5f), 1e-6);
  EXPECT_NEAR(encoded[0][3 + 45 + 3 * 1 + 2].item<float>(), std::cos(2.0f * 1.0f), 1e-6);
}

TEST(NerstfMlp, RawOutputsMatchOfficialWithAndWithoutDirection) {
  torch::NoGradGuard no_grad;
  auto decoder = testing::golden_decoder();
  const auto golden = testing::load_golden("decoder");
  const auto params = testing::golden_params(golden);
  auto& mlp = decoder->mlp();
  const auto with_direction = mlp.forward_raw(golden.at("mlp.position"), golden.at("mlp.direction"), params);
  const auto without = mlp.forward_raw(golden.at("mlp.position"), torch::Tensor(), params);
  EXPECT_TRUE(all_close(with_direction.h, golden.at("mlp.raw_h_dir"), 1e-4, 1e-4));
  EXPECT_TRUE(all_close(without.h, golden.at("mlp.raw_h_nodir"), 1e-4, 1e-4));
}

TEST(NerstfMlp, ActivatedFieldsMatchOfficialForEveryVariant) {
  torch::NoGradGuard no_grad;
  auto decoder = testing::golden_decoder();
  const auto golden = testing::load_golden("decoder");
  const auto params = testing::golden_params(golden);
  const auto position = golden.at("mlp.position"), direction = golden.at("mlp.direction");
  struct Variant {
    std::string name;
    bool with_direction;
    NerfLevel level;
    FieldMode mode;
  };
  for (const auto& variant : std::vector<Variant>{{"nerf_coarse_dir", true, NerfLevel::kCoarse, FieldMode::kNerf},
                                                  {"nerf_fine_dir", true, NerfLevel::kFine, FieldMode::kNerf},
                                                  {"nerf_coarse_nodir", false, NerfLevel::kCoarse, FieldMode::kNerf},
                                                  {"stf", false, NerfLevel::kFine, FieldMode::kStf}}) {
    const auto fields = decoder->mlp().query(position, variant.with_direction ? direction : torch::Tensor(), params,
                                             variant.level, variant.mode);
    const auto prefix = "mlp." + variant.name + ".";
    EXPECT_TRUE(all_close(fields.density, golden.at(prefix + "density"), 1e-4, 1e-4)) << variant.name;
    EXPECT_TRUE(all_close(fields.signed_distance, golden.at(prefix + "signed_distance"), 2e-4, 0)) << variant.name;
    EXPECT_TRUE(all_close(fields.channels, golden.at(prefix + "channels"), 2e-4, 0)) << variant.name;
  }
}

TEST(NerstfMlp, ChunkedQueryEqualsOneShot) {
  torch::NoGradGuard no_grad;
  auto decoder = testing::golden_decoder();
  const auto golden = testing::load_golden("decoder");
  const auto params = testing::golden_params(golden);
  const auto position = golden.at("mlp.position");
  const auto whole = decoder->mlp().query(position, torch::Tensor(), params, NerfLevel::kFine, FieldMode::kStf);
  const auto chunked = decoder->mlp().query(position, torch::Tensor(), params, NerfLevel::kFine, FieldMode::kStf, 37);
  // Only the matrix-product blocking differs.
  EXPECT_TRUE(all_close(chunked.signed_distance, whole.signed_distance, 5e-5, 0));
  EXPECT_TRUE(all_close(chunked.channels, whole.channels, 5e-5, 0));
  EXPECT_TRUE(all_close(chunked.density, whole.density, 1e-4, 1e-5));
}

// A point's encoding does not depend, to the last bit, on the other points of its batch or on where
// it sits in it, nor do its fields beyond float32 rounding: to the last bit with OpenBLAS's AVX-512
// kernels (batches of at least 128 points: smaller products take other kernels), while its AVX2
// kernels (CPUs without AVX-512, or too new for Debian 12's OpenBLAS) round a row by its batch,
// which the MLP's layers carry to 8e-5 here, as chunking does (above).
TEST(NerstfMlp, APointsFieldsDoNotDependOnItsBatch) {
  torch::NoGradGuard no_grad;
  auto decoder = testing::golden_decoder();
  const auto params = testing::golden_params(testing::load_golden("decoder"));
  const auto positions = torch::rand({1, 3000, 3}) * 2.2 - 1.1;
  const auto reorder = torch::randperm(3000);
  EXPECT_TRUE(torch::equal(nerf_positional_encoding(positions[0], 15).index_select(0, reorder),
                           nerf_positional_encoding(positions[0].index_select(0, reorder), 15)));
  auto sdf = [&](const torch::Tensor& points) {
    return decoder->mlp().query(points, torch::Tensor(), params, NerfLevel::kFine, FieldMode::kStf).signed_distance;
  };
  const auto all = sdf(positions);
  for (const int64_t start : {1, 7, 501}) {
    EXPECT_TRUE(all_close(sdf(positions.narrow(1, start, 1000)), all.narrow(1, start, 1000), 2e-4, 0)) << start;
  }
}

TEST(NerstfMlp, FallsBackToItsOwnMetaBuffersWithoutParams) {
  torch::NoGradGuard no_grad;
  auto decoder = testing::golden_decoder();
  const auto golden = testing::load_golden("decoder");
  auto& mlp = decoder->mlp();
  MetaParameters own;
  for (int k = 0; k < 4; ++k) own["nerstf.mlp." + std::to_string(k) + ".weight"] = mlp.layer(k)->weight.unsqueeze(0);
  const auto position = golden.at("mlp.position");
  EXPECT_TRUE(all_close(mlp.forward_raw(position, torch::Tensor(), {}).h,
                        mlp.forward_raw(position, torch::Tensor(), own).h, 1e-6, 1e-6));
}

}  // namespace
}  // namespace shape
