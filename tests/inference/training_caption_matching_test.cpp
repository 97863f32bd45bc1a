// Caption matching: which captions match which shapes, and the text tower warm-up (runs that use
// it: training_run_test.cpp).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "inference/clip/bpe_tokenizer.h"
#include "inference/clip/clip_config.h"
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
  warm_up_condition_tower(tower, matcher, data, options, [&](const TrainingProgress& progress) {
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

}  // namespace
}  // namespace shape::training
