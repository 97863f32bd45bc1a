// The CLIP towers against the official clip.model.CLIP / shap-e ImageCLIP outputs (clip.pt).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "clip_test_models.h"
#include "inference/clip/bpe_tokenizer.h"
#include "inference/clip/image_preprocess.h"

namespace shape {
namespace {

using testing::all_close;
using testing::golden_clip;
using testing::golden_clip_outputs;

torch::Tensor golden_images() {
  const StateDict& golden = golden_clip_outputs();
  return torch::stack({golden.at("image0_preprocessed"), golden.at("image1_preprocessed")});
}

ImageU8 image_from_hwc(const torch::Tensor& hwc) {
  ImageU8 image{static_cast<int>(hwc.size(1)), static_cast<int>(hwc.size(0)), 3, {}};
  const auto* data = hwc.contiguous().data_ptr<uint8_t>();
  image.pixels.assign(data, data + hwc.numel());
  return image;
}

std::string message_of(const std::function<void()>& run) {
  try {
    run();
  } catch (const c10::Error& error) {
    return error.what_without_backtrace();
  }
  return "";
}

TEST(ClipModelGolden, TextEmbeddingMatchesImageClipEmbedText) {
  torch::NoGradGuard no_grad;
  const StateDict& golden = golden_clip_outputs();
  const auto features = golden_clip()->encode_text(golden.at("tokens"));
  EXPECT_TRUE(all_close(features, golden.at("text_features_unnormalized"), 1e-5, 1e-5));
  const auto embedding = golden_clip()->embed_text(golden.at("tokens"));
  EXPECT_EQ(embedding.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(all_close(embedding, golden.at("text_embedding"), 1e-5, 0));
}

TEST(ClipModelGolden, PromptsToEmbeddingsEndToEnd) {
  torch::NoGradGuard no_grad;
  const ClipTokenizer tokenizer;
  std::vector<ClipTokens> prompts;
  for (const char* prompt : {"a shark", "a red chair that looks like an avocado"})
    prompts.push_back(tokenizer.tokenize(prompt));
  const auto embedding = golden_clip()->embed_text(clip_token_batch(prompts));
  EXPECT_TRUE(all_close(embedding, golden_clip_outputs().at("text_embedding").slice(0, 0, 2), 1e-5, 0));
}

TEST(ClipModelGolden, ImageGridMatchesEmbedImagesGrid) {
  torch::NoGradGuard no_grad;
  const auto grid = golden_clip()->embed_image_grid(golden_images());
  EXPECT_EQ(grid.sizes(), (std::vector<int64_t>{2, 64, 256}));
  EXPECT_EQ(grid.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(grid.is_contiguous());
  EXPECT_TRUE(all_close(grid, golden_clip_outputs().at("image_grid"), 1e-4, 1e-4));
}

TEST(ClipModelGolden, ImageGridFromRawImagesThroughOwnPreprocessing) {
  torch::NoGradGuard no_grad;
  const StateDict& golden = golden_clip_outputs();
  const auto images =
      clip_image_batch({image_from_hwc(golden.at("image0_uint8_hwc")), image_from_hwc(golden.at("image1_uint8_hwc"))},
                       golden_clip()->config().image_resolution);
  EXPECT_TRUE(testing::exactly_equal(images, golden_images()));  // the preprocessing reproduces PIL exactly
  EXPECT_TRUE(all_close(golden_clip()->embed_image_grid(images), golden.at("image_grid"), 1e-4, 1e-4));
}

TEST(ClipModelGolden, ImageEmbeddingMatchesNormalizedEncodeImage) {
  torch::NoGradGuard no_grad;
  const auto embedding = golden_clip()->embed_image(golden_images());
  EXPECT_TRUE(all_close(embedding, golden_clip_outputs().at("image_embedding"), 1e-5, 1e-5));
  EXPECT_TRUE(all_close(embedding.norm(2, -1), torch::ones({2}), 1e-6, 0));
}

TEST(ClipModelGolden, TorchScriptArchiveGivesTheSameModel) {
  torch::NoGradGuard no_grad;
  ClipModel from_archive = testing::load_golden_clip("clip.jit.pt");
  const StateDict& golden = golden_clip_outputs();
  EXPECT_TRUE(
      torch::equal(from_archive->embed_text(golden.at("tokens")), golden_clip()->embed_text(golden.at("tokens"))));
  EXPECT_TRUE(
      torch::equal(from_archive->embed_image_grid(golden_images()), golden_clip()->embed_image_grid(golden_images())));
}

TEST(ClipModelGolden, OneTowerModelsComputeTheSame) {
  torch::NoGradGuard no_grad;
  const StateDict& golden = golden_clip_outputs();
  ClipModel text = testing::load_golden_clip("clip.weights.pt", ClipTowers::kText);
  ClipModel vision = testing::load_golden_clip("clip.weights.pt", ClipTowers::kVision);
  EXPECT_TRUE(torch::equal(text->embed_text(golden.at("tokens")), golden_clip()->embed_text(golden.at("tokens"))));
  EXPECT_TRUE(
      torch::equal(vision->embed_image_grid(golden_images()), golden_clip()->embed_image_grid(golden_images())));
  EXPECT_TRUE(torch::equal(vision->embed_image(golden_images()), golden_clip()->embed_image(golden_images())));
  EXPECT_NE(message_of([&] { text->embed_image_grid(golden_images()); }).find("without its vision tower"),
            std::string::npos);
  EXPECT_NE(message_of([&] { vision->embed_text(golden.at("tokens")); }).find("without its text tower"),
            std::string::npos);
  EXPECT_EQ(text->named_parameters().size() + vision->named_parameters().size() + 1, 62u);  // + logit_scale
}

TEST(ClipModelGolden, HalfPrecisionWeightsAreConvertedOnLoad) {
  // OpenAI's archives hold fp16 weights; binding converts them to the module's float32.
  torch::NoGradGuard no_grad;
  const StateDict weights = load_clip_weights(testing::golden_path("clip.weights.pt"));
  StateDict half;
  for (const auto& key : weights.keys()) half.insert(key, weights.at(key).to(torch::kHalf));
  ClipModel model(golden_clip()->config());
  bind_clip_weights(model, half);
  model->eval();
  EXPECT_EQ(model->visual->conv1->weight.scalar_type(), torch::kFloat32);
  const StateDict& golden = golden_clip_outputs();
  EXPECT_TRUE(all_close(model->embed_text(golden.at("tokens")), golden.at("text_embedding"), 2e-3, 0));
  EXPECT_TRUE(all_close(model->embed_image_grid(golden_images()), golden.at("image_grid"), 2e-2, 2e-2));
}

TEST(ClipModel, ParameterNamesAreTheOfficialStateDictKeys) {
  const StateDict weights = load_clip_weights(testing::golden_path("clip.weights.pt"));
  ClipModel model(golden_clip()->config());
  std::set<std::string> names;
  for (const auto& item : model->named_parameters()) names.insert(item.key());
  EXPECT_TRUE(model->named_buffers().is_empty());
  EXPECT_EQ(names, std::set<std::string>(weights.keys().begin(), weights.keys().end()));
  EXPECT_EQ(names.size(), 62u);
}

TEST(ClipModel, InitialisationFollowsClip) {
  torch::manual_seed(0);
  ClipConfig config;
  config.transformer_width = 64;
  config.transformer_heads = 2;
  config.transformer_layers = 2;
  config.vision_width = 64;
  config.vision_layers = 1;
  ClipModel model(config);
  EXPECT_NEAR(model->logit_scale.item<double>(), std::log(1 / 0.07), 1e-6);
  EXPECT_NEAR(model->token_embedding->weight.std().item<double>(), 0.02, 0.002);
  EXPECT_NEAR(model->positional_embedding.std().item<double>(), 0.01, 0.001);
  EXPECT_NEAR(model->text_projection.std().item<double>(), 1 / 8.0, 0.01);
  EXPECT_FALSE(model->visual->conv1->bias.defined());
}

TEST(ClipModel, TextTowerTrains) {
  torch::manual_seed(0);
  ClipConfig config;
  config.embed_dim = 16;
  config.context_length = 8;
  config.vocab_size = 50;
  config.transformer_width = 32;
  config.transformer_heads = 4;
  config.transformer_layers = 2;
  ClipModel model(config, ClipTowers::kText);
  model->train();
  const auto tokens = torch::tensor({{1, 5, 7, 49, 0, 0, 0, 0}, {1, 3, 49, 0, 0, 0, 0, 0}}, torch::kLong);
  const auto target =
      torch::nn::functional::normalize(torch::randn({2, 16}), torch::nn::functional::NormalizeFuncOptions().dim(-1));
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-2));
  double first_loss = 0, last_loss = 0;
  for (int step = 0; step < 30; ++step) {
    optimizer.zero_grad();
    const auto loss = (model->embed_text(tokens) - target).pow(2).sum();
    loss.backward();
    if (step == 0) {
      for (const auto& item : model->named_parameters()) EXPECT_TRUE(item.value().grad().defined()) << item.key();
      first_loss = loss.item<double>();
    }
    last_loss = loss.item<double>();
    optimizer.step();
  }
  EXPECT_LT(last_loss, 0.1 * first_loss);
}

TEST(ClipModel, BadInputsAreClearErrors) {
  torch::NoGradGuard no_grad;
  ClipModel& model = golden_clip();
  EXPECT_NE(message_of([&] {
              model->embed_text(torch::zeros({2, 76}, torch::kLong));
            }).find("[N, 77]"),
            std::string::npos);
  EXPECT_NE(message_of([&] {
              model->embed_text(torch::full({1, 77}, 49408, torch::kLong));
            }).find("[0, 49408)"),
            std::string::npos);
  EXPECT_NE(message_of([&] { model->embed_text(torch::zeros({1, 77})); }).find("integers"), std::string::npos);
  EXPECT_NE(message_of([&] {
              model->embed_image_grid(torch::zeros({1, 3, 225, 225}));
            }).find("[N, 3, 224, 224]"),
            std::string::npos);
  EXPECT_NE(message_of([&] {
              model->embed_image(torch::zeros({3, 224, 224}));
            }).find("[N, 3, 224, 224]"),
            std::string::npos);
  EXPECT_NE(message_of([&] { clip_token_batch({}); }).find("no prompts"), std::string::npos);
}

}  // namespace
}  // namespace shape
