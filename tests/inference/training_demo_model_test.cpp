// The built-in demo model (assets/demo-model): it fits the size budget, loads through the same
// pipeline as the official weights, and makes the right shape in the right colour for captions it
// never saw in training.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "inference/config/config_error.h"
#include "inference/diffusion/sampler_choice.h"
#include "inference/pipeline/model_folder.h"
#include "inference/training/primitive_evaluation.h"

namespace shape::training {
namespace {

namespace fs = std::filesystem;

TEST(TrainingDemoModel, IsCompleteLabelledAndWithinTwentyMegabytes) {
  ASSERT_TRUE(demo_model_available()) << demo_model_folder();
  ASSERT_TRUE(demo_model_available(ConditioningMode::kImage)) << demo_model_folder();
  // Its sampling.yaml: guidance 2 for text; for pictures 4, none below sigma 3.
  EXPECT_EQ(model_folder_files(demo_model_folder()).recommended_guidance, GuidanceRecommendation{2.0});
  EXPECT_EQ(model_folder_files(demo_model_folder(), ConditioningMode::kImage).recommended_guidance,
            (GuidanceRecommendation{4.0, 3.0, 1.0}));
  // ... and the image model conditioned on three views of each picture; the text model has none.
  EXPECT_TRUE(model_folder_files(demo_model_folder(), ConditioningMode::kImage).generator.average_picture_views);
  EXPECT_FALSE(model_folder_files(demo_model_folder()).generator.average_picture_views);
  EXPECT_NE(model_folder_label(demo_model_folder()).find("demo"), std::string::npos);
  uintmax_t bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(demo_model_folder())) {
    if (entry.is_regular_file()) bytes += entry.file_size();
  }
  EXPECT_LE(bytes, 20u * 1000 * 1000);
}

TEST(TrainingDemoModel, AMalformedSamplingFileIsNamed) {
  const fs::path folder = fs::temp_directory_path() / "shape_demo_copy_test";
  fs::remove_all(folder);
  fs::copy(demo_model_folder(), folder);
  {
    std::ofstream(folder / kSamplingDefaultsFile) << "guidance_scale: 3\nguidance: 4\n";
  }
  try {
    model_folder_files(folder);
    ADD_FAILURE() << "accepted an unknown key";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("sampling.yaml"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("guidance"), std::string::npos) << error.what();
  }
  {
    std::ofstream(folder / kSamplingDefaultsFile) << "guidance_scale: 3\nimage_average_views: often\n";
  }
  try {
    model_folder_files(folder, ConditioningMode::kImage);
    ADD_FAILURE() << "accepted a view averaging that is not true or false";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("image_average_views"), std::string::npos) << error.what();
  }
  fs::remove(folder / kSamplingDefaultsFile);
  EXPECT_FALSE(model_folder_files(folder).recommended_guidance.has_value());  // optional
  EXPECT_FALSE(model_folder_files(folder, ConditioningMode::kImage).generator.average_picture_views);
  fs::remove_all(folder);
}

// Views of a picture are for image models; a text model asked to average them says so.
TEST(TrainingDemoModel, ATextModelRefusesToAveragePictureViews) {
  GeneratorFiles files = model_folder_files(demo_model_folder()).generator;
  files.average_picture_views = true;
  try {
    LatentGenerator generator(files);
    ADD_FAILURE() << "a text model took view averaging";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("image models"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("text_cond.yaml"), std::string::npos) << error.what();
  }
}

// Held-out captions: (shape, size, colour) triples left out of training, each generated with two
// seeds at the model's recommended guidance, meshed and judged by the geometric classifier. The goal,
// 90% right, is the bound: this model gets 90.9% with these two seeds (and with four; colour 100%).
// Its one miss is "a large blue cube", drawn as a cylinder (see assets/demo-model/README.md), so
// there is no margin: a second miss on another CPU's rounding would fail this test, and should,
// since the model would then be short of the goal there.
PrimitiveEvaluation evaluate_held_out(Precision precision,
                                      const SamplerChoice& sampler = preset_choice(SamplerPreset::kOfficial)) {
  PrimitiveEvaluationOptions options;
  options.seeds_per_caption = 2;
  options.grid_size = 48;
  options.precision = precision;
  choose_guidance(options.generation, std::nullopt, model_folder_files(demo_model_folder()).recommended_guidance, 15.0);
  options.generation.sampler = sampler.sampler;
  options.generation.steps = sampler.steps;
  const auto evaluation = evaluate_primitive_generation(model_folder_files(demo_model_folder()),
                                                        held_out_primitive_combinations(), options);
  std::printf("%s", evaluation.table().c_str());
  return evaluation;
}

TEST(TrainingDemoModel, HeldOutCaptionsComeOutAsTheRightShapeAndColour) {
  const auto evaluation = evaluate_held_out(Precision::kFloat32);
  EXPECT_GE(evaluation.judgements.size(), 20u);
  EXPECT_GE(evaluation.accuracy(), 0.9) << evaluation.table();
  EXPECT_GE(evaluation.colour_accuracy(), 0.9) << evaluation.table();
}

// The same goal with the diffusion transformer in bf16 (what `auto` picks on CPUs with native bf16).
TEST(TrainingDemoModel, HeldOutCaptionsComeOutRightInBf16Too) {
  const auto evaluation = evaluate_held_out(Precision::kBFloat16);
  EXPECT_GE(evaluation.accuracy(), 0.9) << evaluation.table();
  EXPECT_GE(evaluation.colour_accuracy(), 0.9) << evaluation.table();
}

// The Fast preset is held to the same goal (bench/samplers.md compares it with Official).
TEST(TrainingDemoModel, HeldOutCaptionsAreNoWorseAtTheFastPreset) {
  const auto evaluation = evaluate_held_out(Precision::kFloat32, preset_choice(SamplerPreset::kFast));
  EXPECT_GE(evaluation.accuracy(), 0.9) << evaluation.table();
  EXPECT_GE(evaluation.colour_accuracy(), 0.9) << evaluation.table();
}

// Held-out pictures: a picture of a fresh primitive of each held-out combination (never in
// training), from a view no training run draws, in the training pictures' style, four seeds each at
// the image model's recommended sampling (guidance 4, none below sigma 3, three views of each
// picture), in float32. Here it draws 95.5% right (colour 100%); over 32 seeds in bf16, 92.9%
// (assets/demo-model/README.md). The bounds are the goal, 90%, two samples below what it reaches here.
TEST(TrainingDemoModel, HeldOutPicturesComeOutRightAsOftenAsMeasured) {
  const ModelFileSet files = model_folder_files(demo_model_folder(), ConditioningMode::kImage);
  ASSERT_TRUE(files.recommended_guidance.has_value());
  PrimitiveEvaluationOptions options;
  options.seeds_per_caption = 4;
  options.grid_size = 48;
  choose_guidance(options.generation, std::nullopt, files.recommended_guidance, 3.0);
  options.image_style = PrimitiveImageStyle::kTraining;
  const auto evaluation = evaluate_primitive_generation(files, held_out_primitive_combinations(), options);
  std::printf("%s", evaluation.table().c_str());
  EXPECT_GE(evaluation.judgements.size(), 20u);
  EXPECT_GE(evaluation.accuracy(), 0.9) << evaluation.table();
  EXPECT_GE(evaluation.colour_accuracy(), 0.9) << evaluation.table();
}

}  // namespace
}  // namespace shape::training
