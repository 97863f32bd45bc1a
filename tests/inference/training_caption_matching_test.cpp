// Caption matching: which captions match which shapes, and the condition tower warm-up, with
// caption words (runs that use them: training_run_test.cpp).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <tuple>

#include "inference/clip/bpe_tokenizer.h"
#include "inference/clip/clip_config.h"
#include "inference/clip/image_preprocess.h"
#include "inference/training/caption_matching.h"

namespace shape::training {
namespace {

std::string fixture(const std::string& name) { return std::string(SHAPE_TEST_FIXTURES_DIR) + "/training/" + name; }

CaptionedLatents captioned(const std::vector<std::vector<std::string>>& phrasings, torch::Tensor latents) {
  return captioned_latents(std::move(latents), phrasings, ClipTokenizer());
}

TEST(TrainingCaptionMatching, ACaptionMatchesEveryShapeItNames) {
  const auto data = captioned({{"a small red cube", "a red cube"}, {"a large red cube", "a red cube"},
                               {"a small blue cube", "a blue cube"}},
                              torch::zeros({3, 4}));
  // Captions: "a red cube" (phrasing 1), "a small red cube" (0), "a blue cube" (5).
  const auto matches = data.caption_matches(torch::tensor({1, 0, 5}), torch::tensor({0, 1, 2}));
  EXPECT_TRUE(torch::equal(matches, torch::tensor({{1.f, 1.f, 0.f}, {1.f, 0.f, 0.f}, {0.f, 0.f, 1.f}})))
      << matches;
}

// Captions that differ in the colour word alone, over shapes whose latents differ: the warm-up
// teaches the tower to tell the colours apart, so every caption picks out its own shape.
TEST(TrainingCaptionMatching, WarmUpTeachesTheTowerToTellColoursApart) {
  torch::manual_seed(0);
  const std::vector<std::string> colours = {"red", "green", "blue", "purple"};
  std::vector<std::vector<std::string>> phrasings;
  for (const auto& colour : colours) phrasings.push_back({"a small " + colour + " torus"});
  const auto data = captioned(phrasings, torch::randn({4, 32}));
  ClipModel tower(load_clip_config_json(fixture("tiny_clip_text.json")), ClipTowers::kText);
  auto setup = step_generator(0, -1);
  CaptionMatcher matcher(32, tower->config().embed_dim, setup);

  const auto all = torch::arange(4);
  const auto matches = data.caption_matches(all, all);
  auto similarity = [&] {
    torch::NoGradGuard no_grad;
    const auto text = tower->embed_text(data.tokens);
    return std::make_pair(text.matmul(text.t()), matcher->match_rate(text, data.latents, matches));
  };
  const auto [before, match_rate_before] = similarity();
  TowerWarmupOptions options;
  options.steps = 150;
  options.batch_size = 8;
  int64_t reports = 0;
  warm_up_condition_tower(tower, matcher, nullptr, data, options, [&](const TrainingProgress& progress) {
    EXPECT_EQ(progress.phase, "text tower warm-up");
    ++reports;
  });
  const auto [after, match_rate_after] = similarity();
  EXPECT_GT(reports, 0);
  EXPECT_LT(match_rate_before, 1.0);
  EXPECT_EQ(match_rate_after, 1.0);
  // Green and purple (as blue and purple) end further apart than they started.
  EXPECT_LT(after[1][3].item<float>(), before[1][3].item<float>());
  EXPECT_LT(after[2][3].item<float>(), before[2][3].item<float>());
}

TEST(TrainingCaptionWords, TheWordsThatTellCaptionsApartInFirstSeenOrder) {
  const auto table = caption_word_table({"a small red cube", "a red cube", "a large blue cube", "a red cube"});
  EXPECT_EQ(table.words, (std::vector<std::string>{"small", "red", "large", "blue"}));
  EXPECT_TRUE(torch::equal(table.has_word, torch::tensor({{1.f, 1.f, 0.f, 0.f},
                                                           {0.f, 1.f, 0.f, 0.f},
                                                           {0.f, 0.f, 1.f, 1.f},
                                                           {0.f, 1.f, 0.f, 0.f}})))
      << table.has_word;
  EXPECT_TRUE(caption_word_table({"a cube", "a cube"}).words.empty());

  const auto coloured = caption_word_table({"a small red cube", "a large blue cube"}, {"red", "blue", "green"});
  EXPECT_TRUE(torch::equal(coloured.colour_free, torch::tensor({1.f, 0.f, 1.f, 0.f}))) << coloured.colour_free;

  const auto data = captioned({{"a small red cube", "a red cube"}, {"a large blue cube"}}, torch::zeros({2, 4}));
  EXPECT_EQ(data.words.words, (std::vector<std::string>{"small", "red", "large", "blue"}));
  EXPECT_EQ(data.words.has_word.size(0), 3);  // one row per caption text
}

// A grey copy keeps each pixel's luminance and drops its hue: pure red, green and blue come out as
// the greys of their luma (0.299, 0.587, 0.114), in every channel.
TEST(TrainingCaptionWords, ColourlessPicturesAreTheirLuminance) {
  const auto mean = torch::tensor({kClipImageMean[0], kClipImageMean[1], kClipImageMean[2]}).view({1, 3, 1, 1});
  const auto std = torch::tensor({kClipImageStd[0], kClipImageStd[1], kClipImageStd[2]}).view({1, 3, 1, 1});
  auto rgb = torch::zeros({3, 3, 1, 1});
  for (int64_t c = 0; c < 3; ++c) rgb[c][c] = 1.0;
  const auto grey = colourless_pictures((rgb - mean) / std) * std + mean;
  const auto expected = torch::tensor({0.299f, 0.587f, 0.114f}).view({3, 1, 1, 1}).expand({3, 3, 1, 1});
  EXPECT_TRUE(torch::allclose(grey, expected, 1e-5, 1e-6)) << grey;
}

// Colour-blind words add, at their weight, the agreement of the words but colours read from each
// picture with those read from its grey copy.
TEST(TrainingCaptionWords, ColourBlindWordsAddTheAgreementOfEachPictureWithItsGreyCopy) {
  torch::manual_seed(0);
  const std::vector<std::string> captions = {"a plain red square", "a striped blue square"};
  const auto data = pictured_latents(torch::randn({2, 32}), torch::randn({2, 3, 32, 32}), {1, 1}, captions,
                                     {"red", "blue"});
  ASSERT_EQ(data.words.words, (std::vector<std::string>{"plain", "red", "striped", "blue"}));
  EXPECT_TRUE(torch::equal(data.words.colour_free, torch::tensor({1.0f, 0.0f, 1.0f, 0.0f})));
  ClipModel tower(load_clip_config_json(fixture("tiny_clip_vision.json")), ClipTowers::kVision);
  CaptionWordPredictor words(word_feature_dim(tower, data), 4);
  torch::NoGradGuard no_grad;
  const auto rows = torch::tensor({0, 1}, torch::kLong);
  const auto embedded = embed_conditions(tower, data, rows);
  const auto has_word = caption_words_of(data, rows);
  const double plain = caption_word_loss(tower, words, data, embedded, has_word).item<double>();
  const double blind = caption_word_loss(tower, words, data, embedded, has_word, 2.0).item<double>();
  const auto grey_features = tower->embed_image_and_grid(colourless_pictures(embedded.pictures)).grid.mean(2);
  const double agreement =
      words->agreement_loss(embedded.word_features, grey_features, data.words.colour_free).item<double>();
  EXPECT_GT(agreement, 0.0);
  EXPECT_NEAR(blind, plain + 2.0 * agreement, 1e-6);
}

// The agreement loss is the cross-entropy of one reading against the other's probabilities less
// that floor (a KL divergence per word) over the masked words: 0 for equal readings, and only the
// first reading learns from it.
TEST(TrainingCaptionWords, AgreementLossIsTheMaskedDivergenceFromTheReferenceReading) {
  torch::manual_seed(0);
  CaptionWordPredictor words(5, 3);
  const auto features = torch::randn({4, 5}).requires_grad_(), reference = torch::randn({4, 5}).requires_grad_();
  const auto mask = torch::tensor({1.0f, 0.0f, 1.0f});
  EXPECT_NEAR(words->agreement_loss(features, features, mask).item<double>(), 0.0, 1e-6);

  const auto loss = words->agreement_loss(features, reference, mask);
  const auto weight = words->named_parameters()["read_out.weight"], bias = words->named_parameters()["read_out.bias"];
  const auto p = torch::sigmoid(features.matmul(weight.t()) + bias).detach();
  const auto q = torch::sigmoid(reference.matmul(weight.t()) + bias).detach();
  const auto divergence = q * (q / p).log() + (1 - q) * ((1 - q) / (1 - p)).log();
  const auto expected = (divergence * mask).sum() / (4 * 2);
  EXPECT_NEAR(loss.item<double>(), expected.item<double>(), 1e-5);
  loss.backward();
  EXPECT_GT(features.grad().abs().sum().item<double>(), 0.0);
  EXPECT_FALSE(reference.grad().defined() && reference.grad().abs().sum().item<double>() > 0.0);
}

// Pictures of two attributes (red or blue; plain or with white stripes): the warm-up with caption
// words teaches a vision tower to read both words from the mean of its patch grid (what stage 2
// reads), on fresh pictures too.
TEST(TrainingCaptionWords, WarmUpTeachesAVisionTowerToReadTheWords) {
  torch::manual_seed(0);
  const int64_t resolution = 32;
  auto picture = [&](bool red, bool striped, int64_t variant) {
    auto image = torch::zeros({3, resolution, resolution});
    image[red ? 0 : 2].fill_(1.0 - 0.1 * static_cast<double>(variant));
    if (striped) image.slice(1, 0, resolution, 4).fill_(1.0);  // white lines
    return (image - 0.5) / 0.25 + 0.05 * torch::randn({3, resolution, resolution});
  };
  const std::vector<std::tuple<bool, bool, std::string>> kinds = {{true, false, "a plain red square"},
                                                                  {true, true, "a striped red square"},
                                                                  {false, false, "a plain blue square"},
                                                                  {false, true, "a striped blue square"}};
  auto pictures_of_each = [&](int64_t first_variant) {
    std::vector<torch::Tensor> images;
    for (const auto& [red, striped, caption] : kinds) {
      for (int64_t view = 0; view < 2; ++view) images.push_back(picture(red, striped, first_variant + view));
    }
    return torch::stack(images);
  };
  std::vector<std::string> captions;
  for (const auto& kind : kinds) captions.push_back(std::get<2>(kind));
  const auto data = pictured_latents(torch::randn({4, 32}), pictures_of_each(0), std::vector<int64_t>(4, 2), captions);
  ASSERT_EQ(data.words.words, (std::vector<std::string>{"plain", "red", "striped", "blue"}));

  ClipModel tower(load_clip_config_json(fixture("tiny_clip_vision.json")), ClipTowers::kVision);
  auto setup = step_generator(0, -1);
  CaptionMatcher matcher(32, tower->config().embed_dim, setup);
  CaptionWordPredictor words(word_feature_dim(tower, data), 4);
  TowerWarmupOptions options;
  options.steps = 120;
  options.batch_size = 8;
  options.word_weight = 1.0;
  double last_words_right = 0.0;
  warm_up_condition_tower(tower, matcher, words, data, options, [&](const TrainingProgress& progress) {
    EXPECT_EQ(progress.phase, "vision tower warm-up");
    ASSERT_EQ(progress.losses.size(), 4u);
    EXPECT_EQ(progress.losses[3].first, "words right");
    last_words_right = progress.losses[3].second;
  });
  EXPECT_EQ(last_words_right, 1.0);

  tower->eval();
  CaptionedLatents fresh;
  fresh.images = pictures_of_each(2);
  const auto embedded = embed_conditions(tower, fresh, torch::arange(8));
  EXPECT_EQ(embedded.condition.sizes(), (std::vector<int64_t>{8, 64, 16}));
  const auto has_word = data.words.has_word.repeat_interleave(2, 0);
  EXPECT_EQ(words->exact_rate(embedded.word_features, has_word), 1.0);
}

}  // namespace
}  // namespace shape::training
