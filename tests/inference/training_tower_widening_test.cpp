#include <gtest/gtest.h>
#include <torch/torch.h>

#include "inference/checkpoint/safetensors_writer.h"
#include "inference/clip/clip_config.h"
#include "inference/clip/clip_model.h"
#include "inference/models/weight_binding.h"
#include "inference/training/tower_widening.h"
#include "inference/training/training_run.h"

namespace shape::training {
namespace {

ClipConfig tiny_tower(int64_t resolution, int64_t patch_size) {
  ClipConfig config =
      load_clip_config_json(std::string(SHAPE_TEST_FIXTURES_DIR) + "/training/tiny_clip_vision.json");
  config.image_resolution = resolution;
  config.vision_patch_size = patch_size;
  return config;
}

StateDict weights_of(const torch::nn::Module& module) {
  StateDict weights;
  for (auto& [name, tensor] : module_tensors(module)) weights.insert(name, tensor);
  return weights;
}

// The widened tower (2x the resolution and patch size, the same 4 x 4 grid) reads a picture as the
// old one reads it averaged down 2 x 2: the same grid and vector, to float32 rounding.
TEST(TowerWidening, AWidenedTowerReadsAPictureAsTheOldOneReadsItAveragedDown) {
  torch::manual_seed(3);
  ClipModel narrow(tiny_tower(32, 8), ClipTowers::kVision);
  ClipModel wide(tiny_tower(64, 16), ClipTowers::kVision);
  bind_weights(*wide, widen_patch_kernels(weights_of(*narrow), 16));
  const auto pictures = torch::randn({2, 3, 64, 64});
  torch::NoGradGuard no_grad;
  const auto expected = narrow->embed_image_and_grid(torch::avg_pool2d(pictures, 2));
  const auto widened = wide->embed_image_and_grid(pictures);
  EXPECT_TRUE(torch::allclose(widened.grid, expected.grid, 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(widened.vector, expected.vector, 1e-4, 1e-5));
}

TEST(TowerWidening, KeepsATowerOfTheSamePatchSizeAndRefusesAPatchSizeItCannotSpreadTo) {
  ClipModel tower(tiny_tower(32, 8), ClipTowers::kVision);
  const StateDict weights = weights_of(*tower);
  const StateDict same = widen_patch_kernels(weights, 8);
  ASSERT_EQ(same.keys(), weights.keys());
  for (const auto& key : weights.keys()) EXPECT_TRUE(same.at(key).is_same(weights.at(key))) << key;
  for (const int64_t patch_size : {12, 4}) {
    try {
      widen_patch_kernels(weights, patch_size);
      ADD_FAILURE() << "expected a TrainingError for " << patch_size << " px patches";
    } catch (const TrainingError& error) {
      EXPECT_NE(std::string(error.what()).find("has 8 px patches: a tower with " + std::to_string(patch_size) +
                                               " px patches cannot start from it"),
                std::string::npos)
          << error.what();
    }
  }
}

}  // namespace
}  // namespace shape::training
