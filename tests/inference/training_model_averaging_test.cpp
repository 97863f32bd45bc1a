// average_model_folders: the element-wise mean of stage-2 weights, refused (with the culprit named)
// for folders that are not of one model.
#include "inference/training/model_averaging.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "inference/checkpoint/checkpoint.h"
#include "inference/checkpoint/safetensors_writer.h"
#include "inference/pipeline/model_folder.h"
#include "inference/training/training_run.h"
#include "tests/inference/checkpoint_test_util.h"

namespace shape::training {
namespace {

namespace fs = std::filesystem;
using checkpoint_test::read_file;
using checkpoint_test::TempDir;
using checkpoint_test::write_file;

// A model folder with the given stage-2 weights. Its configs are one line of text each: averaging
// compares them byte for byte and never parses them.
fs::path write_model(const TempDir& dir, const std::string& name, std::vector<float> weight, float text,
                     float trunk, float decoder) {
  const fs::path folder = dir.path() / name;
  fs::create_directories(folder);
  for (const char* config : {kTransformerConfigFile, kDiffusionConfigFile, kClipConfigFile, kTransmitterConfigFile}) {
    write_file(folder / config, std::string("config of ") + config + "\n");
  }
  save_safetensors(folder / kTransformerWeightsFile,
                   {{"wrapped.weight", torch::tensor(weight)}, {"wrapped.steps", torch::tensor({3, 5})}});
  save_safetensors(folder / kClipWeightsFile, {{"token_embedding.weight", torch::full({2, 2}, text)}});
  save_safetensors(folder / kTransmitterWeightsFile, {{"encoder.backbone.weight", torch::full({2}, trunk)},
                                                      {"encoder.params_proj.weight", torch::full({2}, decoder)}});
  return folder;
}

TEST(TrainingModelAveraging, WritesTheMeanOfTheWeightsAndTheFirstFoldersOtherFiles) {
  TempDir dir;
  const fs::path a = write_model(dir, "a", {1, 2, 4}, 1, 7, 1), b = write_model(dir, "b", {2, 2, 0}, 2, 7, 5),
                 c = write_model(dir, "c", {3, 5, 2}, 6, 7, 9);
  write_file(a / kSamplingDefaultsFile, "guidance_scale: 2\n");
  const fs::path out = dir.path() / "mean";
  average_model_folders({a, b, c}, out);

  const StateDict transformer = load_checkpoint(out / kTransformerWeightsFile);
  EXPECT_TRUE(torch::equal(transformer.at("wrapped.weight"), torch::tensor({2.0f, 3.0f, 2.0f})));
  EXPECT_EQ(transformer.at("wrapped.steps").scalar_type(), torch::kLong);  // each tensor keeps its type
  EXPECT_TRUE(torch::equal(transformer.at("wrapped.steps"), torch::tensor({3, 5})));
  EXPECT_TRUE(torch::equal(load_checkpoint(out / kClipWeightsFile).at("token_embedding.weight"), torch::full({2, 2}, 3.0f)));
  // The decoder may differ (a decoder-only fine-tune keeps the latents); the first one is kept.
  EXPECT_EQ(read_file(out / kTransmitterWeightsFile), read_file(a / kTransmitterWeightsFile));
  EXPECT_EQ(read_file(out / kTransformerConfigFile), read_file(a / kTransformerConfigFile));
  EXPECT_EQ(model_folder_files(out).recommended_guidance, GuidanceRecommendation{2.0});

  // Averaging a model with itself gives it back, bit for bit.
  average_model_folders({a, a}, dir.path() / "same");
  EXPECT_TRUE(torch::equal(load_checkpoint(dir.path() / "same" / kTransformerWeightsFile).at("wrapped.weight"),
                           load_checkpoint(a / kTransformerWeightsFile).at("wrapped.weight")));
}

// Adds an image model (image_cond.*, clip_vision.*) to a folder.
void add_image_model(const fs::path& folder, float weight, float vision) {
  for (const char* config : {kImageTransformerConfigFile, kVisionConfigFile}) {
    write_file(folder / config, std::string("config of ") + config + "\n");
  }
  save_safetensors(folder / kImageTransformerWeightsFile, {{"wrapped.weight", torch::full({3}, weight)}});
  save_safetensors(folder / kVisionWeightsFile, {{"visual.conv1.weight", torch::full({2}, vision)}});
}

// Image models are averaged like text ones, beside them or alone (an image run's folder).
TEST(TrainingModelAveraging, AveragesImageModelsToo) {
  TempDir dir;
  const fs::path a = write_model(dir, "a", {1, 2, 4}, 1, 7, 1), b = write_model(dir, "b", {3, 2, 0}, 3, 7, 1);
  add_image_model(a, 1, 2);
  add_image_model(b, 5, 4);
  average_model_folders({a, b}, dir.path() / "both");
  EXPECT_TRUE(torch::equal(load_checkpoint(dir.path() / "both" / kTransformerWeightsFile).at("wrapped.weight"),
                           torch::tensor({2.0f, 2.0f, 2.0f})));
  EXPECT_TRUE(torch::equal(load_checkpoint(dir.path() / "both" / kImageTransformerWeightsFile).at("wrapped.weight"),
                           torch::full({3}, 3.0f)));
  EXPECT_TRUE(torch::equal(load_checkpoint(dir.path() / "both" / kVisionWeightsFile).at("visual.conv1.weight"),
                           torch::full({2}, 3.0f)));

  for (const fs::path& folder : {a, b}) {
    for (const char* text_file : {kTransformerConfigFile, kTransformerWeightsFile, kClipConfigFile, kClipWeightsFile}) {
      fs::remove(folder / text_file);
    }
  }
  average_model_folders({a, b}, dir.path() / "image");
  EXPECT_TRUE(model_folder_has(dir.path() / "image", ConditioningMode::kImage));
  EXPECT_FALSE(model_folder_has(dir.path() / "image", ConditioningMode::kText));
  EXPECT_TRUE(torch::equal(load_checkpoint(dir.path() / "image" / kVisionWeightsFile).at("visual.conv1.weight"),
                           torch::full({2}, 3.0f)));

  const fs::path text_only = write_model(dir, "text_only", {1, 2, 4}, 1, 7, 1);
  try {
    average_model_folders({a, text_only}, dir.path() / "mixed");
    FAIL() << "averaged an image model with a text one";
  } catch (const TrainingError& error) {
    EXPECT_NE(std::string(error.what()).find("is not a model folder like"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find(kImageTransformerWeightsFile), std::string::npos) << error.what();
  }
}

TEST(TrainingModelAveraging, RefusesFoldersThatAreNotOfOneModel) {
  TempDir dir;
  const fs::path a = write_model(dir, "a", {1, 2, 4}, 1, 7, 1);
  const auto error_of = [&](const std::vector<fs::path>& inputs, const std::string& out) {
    try {
      average_model_folders(inputs, dir.path() / out);
    } catch (const TrainingError& error) {
      EXPECT_FALSE(fs::exists(dir.path() / out / kTransformerWeightsFile)) << out;  // nothing half-written
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of({a}, "one").find("at least two"), std::string::npos);

  const fs::path other_encoder = write_model(dir, "other_encoder", {1, 2, 4}, 1, 8, 1);
  const std::string encoder = error_of({a, other_encoder}, "out1");
  EXPECT_NE(encoder.find("another stage-1 encoder"), std::string::npos) << encoder;
  EXPECT_NE(encoder.find("encoder.backbone.weight"), std::string::npos) << encoder;

  const fs::path other_config = write_model(dir, "other_config", {1, 2, 4}, 1, 7, 1);
  write_file(other_config / kTransformerConfigFile, "layers: 3\n");
  const std::string config = error_of({a, other_config}, "out2");
  EXPECT_NE(config.find((other_config / kTransformerConfigFile).string()), std::string::npos) << config;

  const fs::path other_shape = write_model(dir, "other_shape", {1, 2}, 1, 7, 1);
  const std::string shape = error_of({a, other_shape}, "out3");
  EXPECT_NE(shape.find("wrapped.weight differs in shape or type"), std::string::npos) << shape;

  const fs::path incomplete = write_model(dir, "incomplete", {1, 2, 4}, 1, 7, 1);
  fs::remove(incomplete / kClipWeightsFile);
  const std::string missing = error_of({a, incomplete}, "out4");
  EXPECT_NE(missing.find("is not a model folder"), std::string::npos) << missing;
  EXPECT_NE(missing.find(kClipWeightsFile), std::string::npos) << missing;

  const fs::path b = write_model(dir, "b", {2, 2, 0}, 2, 7, 5);
  fs::create_directories(dir.path() / "taken");
  write_file(dir.path() / "taken" / "notes.txt", "mine\n");
  EXPECT_NE(error_of({a, b}, "taken").find("already exists"), std::string::npos);
  EXPECT_EQ(read_file(dir.path() / "taken" / "notes.txt"), "mine\n");
}

}  // namespace
}  // namespace shape::training
