#include <gtest/gtest.h>
#include <torch/torch.h>

#include "golden_models.h"
#include "inference/training/model_deepening.h"
#include "inference/training/training_run.h"

namespace shape::training {
namespace {

using testing::all_close;

SplitVectorDiffusion golden_image_model_with_layers(int64_t layers) {
  auto config = parse_diffusion_transformer_config(testing::kGoldenImageTransformerYaml, "golden");
  config.layers = layers;
  SplitVectorDiffusion model(config);
  model->eval();
  return model;
}

// The golden image transformer (2 layers, the official code's outputs) deepened to 4: the two added
// blocks start as the identity, so the deeper model still gives the official outputs (the golden
// transformer tolerance), while their other weights keep the fresh init training starts from.
TEST(ModelDeepening, ADeepenedGoldenTransformerStillGivesTheOfficialOutputs) {
  torch::manual_seed(5);
  auto deep = golden_image_model_with_layers(4);
  const StateDict start = load_checkpoint(testing::golden_path("transformer_image.weights.pt"));
  const StateDict deepened = deepen_transformer(start, *deep);
  bind_weights(*deep, deepened);
  torch::NoGradGuard no_grad;
  const auto golden = testing::load_golden("transformer_image");
  const auto out = deep->forward(golden.at("x_t"), golden.at("t"), golden.at("embeddings"));
  EXPECT_TRUE(all_close(out, golden.at("out"), 1e-4, 1e-4));

  const std::string added = "wrapped.backbone.resblocks.3.";
  for (const char* projection : {"attn.c_proj.weight", "attn.c_proj.bias", "mlp.c_proj.weight", "mlp.c_proj.bias"}) {
    EXPECT_EQ(deepened.at(added + projection).abs().max().item<float>(), 0.0f) << projection;
  }
  EXPECT_GT(deepened.at(added + "attn.c_qkv.weight").std().item<float>(), 0.0f);
  EXPECT_GT(deepened.at(added + "mlp.c_fc.weight").std().item<float>(), 0.0f);
  for (const auto& key : start.keys()) EXPECT_TRUE(deepened.at(key).is_same(start.at(key))) << key;
}

TEST(ModelDeepening, KeepsAModelOfTheSameDepthAndRefusesToStartFromADeeperOne) {
  auto same = golden_image_model_with_layers(2);
  const StateDict start = load_checkpoint(testing::golden_path("transformer_image.weights.pt"));
  const StateDict kept = deepen_transformer(start, *same);
  ASSERT_EQ(kept.keys(), start.keys());
  for (const auto& key : start.keys()) EXPECT_TRUE(kept.at(key).is_same(start.at(key))) << key;

  auto shallow = golden_image_model_with_layers(1);
  try {
    deepen_transformer(start, *shallow);
    ADD_FAILURE() << "expected a TrainingError";
  } catch (const TrainingError& error) {
    EXPECT_NE(std::string(error.what()).find("the starting model has 2 transformer layers, more than the config's 1"),
              std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace shape::training
