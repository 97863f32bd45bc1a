// Parity of the diffusion transformer with the official shap-e code (golden transformer_text/_image).
#include "golden_models.h"

namespace shape {
namespace {

using testing::all_close;

TEST(DiffusionTransformer, TextModelMatchesOfficialOnGuidanceBatch) {
  torch::NoGradGuard no_grad;
  auto model = testing::golden_text_transformer();
  const auto golden = testing::load_golden("transformer_text");
  // [cond0, cond1, uncond0, uncond1] with integer t.
  auto out = model->forward(golden.at("x_t"), golden.at("t"), golden.at("embeddings"));
  EXPECT_TRUE(all_close(out, golden.at("out"), 1e-4, 1e-4));
}

TEST(DiffusionTransformer, TextModelMatchesOfficialWithFractionalTimesteps) {
  torch::NoGradGuard no_grad;
  auto model = testing::golden_text_transformer();
  const auto golden = testing::load_golden("transformer_text");
  auto out = model->forward(golden.at("x_t_float_t"), golden.at("t_float"), golden.at("embeddings_float_t"));
  EXPECT_TRUE(all_close(out, golden.at("out_float_t"), 1e-4, 1e-4));
}

TEST(DiffusionTransformer, TimeEmbeddingMatchesOfficial) {
  torch::NoGradGuard no_grad;
  const auto golden = testing::load_golden("transformer_text");
  auto model = testing::golden_text_transformer();
  auto embedding = timestep_embedding(golden.at("t"), 64);
  // time_embed is the first submodule of `wrapped`; run it by name to compare with the hook output.
  auto time_embed = model->named_children()["wrapped"]->named_children()["time_embed"];
  auto out = time_embed->as<TransformerMlp>()->forward(embedding);
  EXPECT_TRUE(all_close(out, golden.at("debug.wrapped.time_embed"), 1e-5, 1e-5));
}

TEST(DiffusionTransformer, ImageGridModelMatchesOfficial) {
  torch::NoGradGuard no_grad;
  auto model = testing::golden_image_transformer();
  const auto golden = testing::load_golden("transformer_image");
  auto out = model->forward(golden.at("x_t"), golden.at("t"), golden.at("embeddings"));
  EXPECT_TRUE(all_close(out, golden.at("out"), 1e-4, 1e-4));
}

TEST(DiffusionTransformer, ParameterNamesAreTheOfficialKeys) {
  auto config = parse_diffusion_transformer_config(testing::kGoldenTextTransformerYaml, "golden");
  SplitVectorDiffusion model(config);
  auto weights = load_checkpoint(testing::golden_path("transformer_text.weights.pt"));
  auto parameters = model->named_parameters();
  EXPECT_EQ(parameters.size(), weights.size());
  for (const auto& key : weights.keys()) EXPECT_TRUE(parameters.contains(key)) << key;
}

TEST(DiffusionTransformer, ModelIsTrainable) {
  auto config = parse_diffusion_transformer_config(testing::kGoldenTextTransformerYaml, "golden");
  config.layers = 1;
  SplitVectorDiffusion model(config);
  model->train();
  auto x = torch::randn({2, config.d_latent});
  auto out = model->forward(x, torch::tensor({1, 900}), torch::randn({2, 768}));
  out.pow(2).mean().backward();
  size_t with_gradient = 0;
  for (const auto& parameter : model->parameters()) with_gradient += parameter.grad().defined();
  EXPECT_EQ(with_gradient, model->parameters().size());
}

TEST(DiffusionTransformer, RejectsWronglyShapedInputs) {
  torch::NoGradGuard no_grad;
  auto config = parse_diffusion_transformer_config(testing::kGoldenTextTransformerYaml, "golden");
  config.layers = 1;
  SplitVectorDiffusion model(config);
  EXPECT_THROW(model->forward(torch::zeros({1, 100}), torch::zeros({1}), torch::zeros({1, 768})), c10::Error);
  EXPECT_THROW(model->forward(torch::zeros({1, 8192}), torch::zeros({1}), torch::zeros({1, 512})), c10::Error);
}

}  // namespace
}  // namespace shape
