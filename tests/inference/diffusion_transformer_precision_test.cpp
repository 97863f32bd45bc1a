// Half precision of the diffusion transformer against the official float32 outputs (golden
// transformer_text/_image). bf16 runs on the CPU (fp16 matrix products need a GPU). bf16 keeps 8
// significant bits: one rounding of an output near 4 is already up to 0.016 (half of its 2^-5 spacing).
// Measured on these cases: max |diff| 0.031 (text, outputs up to 4.0) and 0.029 (image, up to 4.5)
// with the residual stream in float32 (0.036 and 0.038 when it was bf16 too).
// Tolerance: 0.05 absolute + 2^-5 (four bf16 spacings) relative.
#include "golden_models.h"
#include "inference/precision_dtype.h"

namespace shape {
namespace {

using testing::all_close;

constexpr double kBf16Absolute = 5e-2;
constexpr double kBf16Relative = 1.0 / 32;

TEST(DiffusionTransformerPrecision, DefaultIsFloat32AndSettingItChangesNothing) {
  torch::NoGradGuard no_grad;
  auto model = testing::golden_text_transformer();
  EXPECT_EQ(model->precision(), Precision::kFloat32);
  const auto golden = testing::load_golden("transformer_text");
  auto before = model->forward(golden.at("x_t"), golden.at("t"), golden.at("embeddings"));
  model->set_precision(Precision::kFloat32);
  auto after = model->forward(golden.at("x_t"), golden.at("t"), golden.at("embeddings"));
  EXPECT_TRUE(torch::equal(before, after));
}

TEST(DiffusionTransformerPrecision, HalfPrecisionKeepsLayerNormsAndTheOutputProjectionInFloat32) {
  auto config = parse_diffusion_transformer_config(testing::kGoldenImageTransformerYaml, "golden");
  config.layers = 1;
  for (const auto precision : {Precision::kBFloat16, Precision::kFloat16}) {
    SplitVectorDiffusion model(config);
    model->set_precision(precision);
    EXPECT_EQ(model->precision(), precision);
    for (const auto& parameter : model->named_parameters()) {
      // LayerNorms: ln_pre, ln_post, ln_1, ln_2, and the grid embedding's clip_embed.0; and the
      // output projection.
      const bool float32 = parameter.key().find(".ln_") != std::string::npos ||
                           parameter.key().find("clip_embed.0.") != std::string::npos ||
                           parameter.key().find("output_proj.") != std::string::npos;
      EXPECT_EQ(parameter.value().scalar_type(), float32 ? torch::kFloat32 : scalar_type_of(precision))
          << parameter.key();
    }
  }
}

TEST(DiffusionTransformerPrecision, Bf16TextModelMatchesOfficialWithinHalfPrecisionTolerance) {
  torch::NoGradGuard no_grad;
  auto model = testing::golden_text_transformer();
  model->set_precision(Precision::kBFloat16);
  const auto golden = testing::load_golden("transformer_text");
  auto out = model->forward(golden.at("x_t"), golden.at("t"), golden.at("embeddings"));
  EXPECT_EQ(out.scalar_type(), torch::kFloat32);  // the caller's dtype
  EXPECT_TRUE(all_close(out, golden.at("out"), kBf16Absolute, kBf16Relative));
  auto fractional = model->forward(golden.at("x_t_float_t"), golden.at("t_float"), golden.at("embeddings_float_t"));
  EXPECT_TRUE(all_close(fractional, golden.at("out_float_t"), kBf16Absolute, kBf16Relative));
}

TEST(DiffusionTransformerPrecision, Bf16ImageGridModelMatchesOfficialWithinHalfPrecisionTolerance) {
  torch::NoGradGuard no_grad;
  auto model = testing::golden_image_transformer();
  model->set_precision(Precision::kBFloat16);
  const auto golden = testing::load_golden("transformer_image");
  auto out = model->forward(golden.at("x_t"), golden.at("t"), golden.at("embeddings"));
  EXPECT_TRUE(all_close(out, golden.at("out"), kBf16Absolute, kBf16Relative));
}

// Guards the tolerance itself: bf16 really runs in bf16 (its error is far above float32's 1e-4).
TEST(DiffusionTransformerPrecision, Bf16IsNotSilentlyFloat32) {
  torch::NoGradGuard no_grad;
  auto model = testing::golden_text_transformer();
  model->set_precision(Precision::kBFloat16);
  const auto golden = testing::load_golden("transformer_text");
  auto out = model->forward(golden.at("x_t"), golden.at("t"), golden.at("embeddings"));
  EXPECT_FALSE(all_close(out, golden.at("out"), 1e-5, 1e-5));
}

}  // namespace
}  // namespace shape
