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

// A tower at twice the resolution with the same patch size: a 8 x 8 grid from a 4 x 4 one. The
// class token's position is kept, a grid that is the same everywhere stays so, and the tower built
// for the finer grid takes the result and reads 64 patch tokens.
TEST(TowerWidening, ResamplesThePatchPositionsToAFinerGrid) {
  torch::manual_seed(4);
  ClipModel coarse(tiny_tower(32, 8), ClipTowers::kVision);
  StateDict weights = weights_of(*coarse);
  const auto& embedding = weights.at("visual.positional_embedding");
  ASSERT_EQ(embedding.size(0), 1 + 16);
  const StateDict fine = resample_patch_grid(weights, 8);
  const auto& resampled = fine.at("visual.positional_embedding");
  ASSERT_EQ(resampled.sizes(), (std::vector<int64_t>{1 + 64, embedding.size(1)}));
  EXPECT_TRUE(torch::equal(resampled[0], embedding[0]));
  EXPECT_TRUE(fine.at("visual.conv1.weight").is_same(weights.at("visual.conv1.weight")));

  // Rows stay rows: a coarse grid that changes from row to row only (token r * side + c, the same
  // for every column c) gives a fine grid that does too, changing monotonically down the rows; a
  // grid the same everywhere stays so.
  const auto with_grid = [&](const torch::Tensor& grid) {
    StateDict changed;
    for (const auto& name : weights.keys()) {
      changed.insert(name, name == "visual.positional_embedding" ? torch::cat({embedding.slice(0, 0, 1), grid})
                                                                  : weights.at(name));
    }
    return resample_patch_grid(changed, 8).at("visual.positional_embedding").slice(0, 1);
  };
  const int64_t width = embedding.size(1);
  const auto rows = torch::arange(4, torch::kFloat32).repeat_interleave(4).unsqueeze(1).expand({16, width});
  const auto fine_rows = with_grid(rows.contiguous()).reshape({8, 8, width});
  EXPECT_TRUE(torch::allclose(fine_rows, fine_rows.select(1, 0).unsqueeze(1).expand({8, 8, width}), 0.0, 1e-6));
  const auto down = fine_rows.select(1, 0).select(1, 0);
  EXPECT_TRUE((down.slice(0, 1) >= down.slice(0, 0, 7)).all().item<bool>()) << down;
  EXPECT_LT(down[0].item<float>(), 0.5f);
  EXPECT_GT(down[7].item<float>(), 2.5f);
  EXPECT_TRUE(torch::allclose(with_grid(torch::full({16, width}, 0.25f)), torch::full({64, width}, 0.25f), 0.0, 1e-6));

  ClipModel finer(tiny_tower(64, 8), ClipTowers::kVision);
  bind_weights(*finer, fine);
  torch::NoGradGuard no_grad;
  EXPECT_EQ(finer->embed_image_grid(torch::randn({2, 3, 64, 64})).sizes(),
            (std::vector<int64_t>{2, embedding.size(1), 64}));

  const StateDict same = resample_patch_grid(weights, 4);
  for (const auto& key : weights.keys()) EXPECT_TRUE(same.at(key).is_same(weights.at(key))) << key;
  EXPECT_THROW(resample_patch_grid(weights, 0), TrainingError);
}

}  // namespace
}  // namespace shape::training
