// Run folders: the loss curve, crash-safe checkpoints, and exact resume of both training stages.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <regex>
#include <tuple>

#include <torch/optim/adam.h>
#include <torch/torch.h>

#include "checkpoint_test_util.h"
#include "inference/checkpoint/checkpoint.h"
#include "inference/config/config_error.h"
#include "inference/pipeline/model_folder.h"
#include "inference/training/diffusion_trainer.h"
#include "inference/training/encoder_trainer.h"
#include "inference/training/primitive_images.h"
#include "inference/training/tower_widening.h"
#include "inference/training/training_run.h"

namespace shape::training {
namespace {

using checkpoint_test::read_file;
using checkpoint_test::TempDir;

std::string fixture(const std::string& name) { return std::string(SHAPE_TEST_FIXTURES_DIR) + "/training/" + name; }

TEST(TrainingLossLog, WritesAHeaderAndDropsRowsAfterTheResumedStep) {
  TempDir dir;
  const auto path = dir.path() / "loss.csv";
  {
    LossLog log(path, {"loss", "lr"}, 0);
    for (int step = 10; step <= 40; step += 10) log.append(step, step * 0.5, {1.0 / step, 1e-3});
  }
  EXPECT_EQ(read_file(path).substr(0, 19), "step,seconds,loss,l");
  {
    LossLog log(path, {"loss", "lr"}, 20);  // resumed from the step-20 checkpoint
    log.append(30, 15.5, {0.25, 1e-3});
  }
  const std::string text = read_file(path);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4) << text;  // header, 10, 20, new 30
  EXPECT_NE(text.find("\n30,15.5,0.25,"), std::string::npos) << text;
  EXPECT_EQ(text.find("\n40,"), std::string::npos) << text;
  EXPECT_THROW(LossLog(path, {"other"}, 20), TrainingError);
}

TEST(TrainingCheckpoints, LatestIsTheNewestCompleteOneAndOldOnesArePruned) {
  TempDir dir;
  auto weight = torch::ones({2, 2}).requires_grad_();
  torch::optim::Adam optimizer({weight}, torch::optim::AdamOptions(0.1));
  for (int step = 1; step <= 3; ++step) {
    optimizer.zero_grad();
    (weight * weight).sum().backward();
    optimizer.step();
    save_training_checkpoint(dir.path(), step * 10, step * 1.5, {{"w", weight}}, optimizer);
  }
  const auto latest = load_latest_checkpoint(dir.path());
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->step, 30);
  EXPECT_DOUBLE_EQ(latest->seconds, 4.5);
  EXPECT_TRUE(torch::equal(latest->model.at("w"), weight));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "checkpoints" / "step-000010"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "checkpoints" / "step-000020"));

  // The restored optimizer continues exactly as the original.
  auto copy = latest->model.at("w").clone().requires_grad_();
  torch::optim::Adam restored({copy}, torch::optim::AdamOptions(0.1));
  load_optimizer_state(*latest, restored);
  for (auto* pair : {&optimizer, &restored}) {
    auto& parameter = pair == &optimizer ? weight : copy;
    pair->zero_grad();
    (parameter * parameter).sum().backward();
    pair->step();
  }
  EXPECT_TRUE(torch::equal(copy, weight));
}

TEST(TrainingCheckpoints, ARunFolderIsNeverOverwrittenWithoutResume) {
  TempDir dir;
  EXPECT_FALSE(open_run(dir.path() / "new", false));
  auto weight = torch::zeros({1}).requires_grad_();
  torch::optim::Adam optimizer({weight});
  save_training_checkpoint(dir.path(), 5, 1.0, {{"w", weight}}, optimizer);
  try {
    open_run(dir.path(), false);
    FAIL() << "an existing run was reopened without --resume";
  } catch (const TrainingError& error) {
    EXPECT_NE(std::string(error.what()).find("--resume"), std::string::npos) << error.what();
  }
  EXPECT_EQ(open_run(dir.path(), true)->step, 5);
  checkpoint_test::write_file(dir.path() / "checkpoints" / "latest", "../../etc\n");
  EXPECT_THROW(load_latest_checkpoint(dir.path()), TrainingError);
}

EncoderTrainingOptions tiny_encoder_options(const std::filesystem::path& run_dir, int64_t steps) {
  EncoderTrainingOptions options;
  options.transmitter_config = fixture("tiny_transmitter.yaml");
  options.run_dir = run_dir;
  options.procedural_shapes = 6;
  options.steps = steps;
  options.batch_size = 2;
  options.query_points = 64;
  options.warmup_steps = 2;
  options.log_every = 1;
  options.checkpoint_every = 3;
  options.seed = 5;
  return options;
}

TEST(TrainingEncoderRun, ResumingAStoppedRunEndsBitwiseWhereAnUninterruptedRunEnds) {
  TempDir straight_dir, resumed_dir;
  const auto straight = train_encoder(tiny_encoder_options(straight_dir.path(), 6));
  EXPECT_EQ(straight.steps, 6);

  // Stop after step 3 through the cancel flag (a checkpoint is written), then resume.
  std::atomic<bool> cancel{false};
  const auto stop_at_3 = [&](const TrainingProgress& progress) { cancel = progress.step >= 3; };
  const auto first = train_encoder(tiny_encoder_options(resumed_dir.path(), 6), stop_at_3, &cancel);
  EXPECT_EQ(first.steps, 3);
  auto options = tiny_encoder_options(resumed_dir.path(), 6);
  options.resume = true;
  const auto second = train_encoder(options);
  EXPECT_EQ(second.steps, 6);

  const StateDict a = load_checkpoint(straight.model), b = load_checkpoint(second.model);
  ASSERT_EQ(a.keys(), b.keys());
  for (const auto& key : a.keys()) EXPECT_TRUE(torch::equal(a.at(key), b.at(key))) << key;
  // The loss curves agree row for row but for the time column.
  auto without_time = [](const std::string& csv) {
    std::string result;
    std::istringstream lines(csv);
    for (std::string line; std::getline(lines, line);) {
      const auto first_comma = line.find(','), second_comma = line.find(',', first_comma + 1);
      result += line.substr(0, first_comma) + line.substr(second_comma) + "\n";
    }
    return result;
  };
  EXPECT_EQ(without_time(read_file(straight_dir.path() / "loss.csv")),
            without_time(read_file(resumed_dir.path() / "loss.csv")));
  // The exported transmitter loads as a decoder for inference.
  ShapeDecoder decoder(load_decoder_config(straight.config.string()));
  EXPECT_NO_THROW(bind_decoder_weights(*decoder, a));
}

DiffusionTrainingOptions tiny_diffusion_options(const std::filesystem::path& encoder_run,
                                                const std::filesystem::path& run_dir, int64_t steps) {
  DiffusionTrainingOptions options;
  options.transformer_config = fixture("tiny_text_cond.yaml");
  options.diffusion_config = std::string(SHAPE_RESOURCES_DIR) + "/configs/diffusion.yaml";
  options.transmitter_config = encoder_run / "transmitter.yaml";
  options.transmitter_weights = encoder_run / "transmitter.safetensors";
  options.clip_config = fixture("tiny_clip_text.json");
  options.run_dir = run_dir;
  options.procedural_shapes = 6;
  options.steps = steps;
  options.batch_size = 3;
  options.warmup_steps = 2;
  options.log_every = 2;
  options.checkpoint_every = 2;
  options.seed = 8;
  return options;
}

TEST(TrainingDiffusionRun, ResumesExactlyAndLeavesAModelFolderThatGenerates) {
  TempDir encoder_dir, straight_dir, resumed_dir;
  train_encoder(tiny_encoder_options(encoder_dir.path(), 2));

  const auto straight = train_diffusion(tiny_diffusion_options(encoder_dir.path(), straight_dir.path(), 4));
  std::atomic<bool> cancel{false};
  train_diffusion(tiny_diffusion_options(encoder_dir.path(), resumed_dir.path(), 4),
                  [&](const TrainingProgress& progress) { cancel = progress.step >= 2; }, &cancel);
  auto options = tiny_diffusion_options(encoder_dir.path(), resumed_dir.path(), 4);
  options.resume = true;
  const auto resumed = train_diffusion(options);
  EXPECT_EQ(resumed.steps, 4);
  for (const char* file : {kTransformerWeightsFile, kClipWeightsFile}) {
    const StateDict a = load_checkpoint(straight_dir.path() / file), b = load_checkpoint(resumed_dir.path() / file);
    ASSERT_EQ(a.keys(), b.keys());
    for (const auto& key : a.keys()) EXPECT_TRUE(torch::equal(a.at(key), b.at(key))) << file << ": " << key;
  }

  // The run folder is a model folder: the inference pipeline loads and samples it.
  const ModelFileSet files = model_folder_files(straight_dir.path());
  LatentGenerator generator(files.generator);
  GenerationSettings settings;
  settings.steps = 4;
  const auto result = generator.generate({{"a small red cube", std::nullopt}}, settings);
  ASSERT_EQ(result.latents.size(), 1u);
  EXPECT_EQ(result.latents[0].values.size(), 512u);
}

DiffusionTrainingOptions tiny_image_options(const std::filesystem::path& encoder_run,
                                             const std::filesystem::path& run_dir, int64_t steps) {
  auto options = tiny_diffusion_options(encoder_run, run_dir, steps);
  options.transformer_config = fixture("tiny_image_cond.yaml");
  options.clip_config = fixture("tiny_clip_vision.json");
  options.views_per_shape = 2;
  return options;
}

// `train` throws a TrainingError whose message has `fragment`.
void expect_training_error(const std::function<void()>& train, const std::string& fragment) {
  try {
    train();
    ADD_FAILURE() << "expected a TrainingError saying '" << fragment << "'";
  } catch (const TrainingError& error) {
    EXPECT_NE(std::string(error.what()).find(fragment), std::string::npos) << error.what();
  }
}

// The image model (image300M's class with a jointly trained vision tower) trains on pictures of the
// same shapes, resumes exactly (vision warm-up, matching, caption words, colour-blind words and
// picture jitter included), and leaves a model folder whose image model generates from a picture,
// next to no text model.
TEST(TrainingDiffusionRun, ImageModelResumesExactlyAndGeneratesFromAPicture) {
  TempDir encoder_dir, straight_dir, resumed_dir;
  train_encoder(tiny_encoder_options(encoder_dir.path(), 1));
  auto image_options = [&](const std::filesystem::path& run_dir) {
    auto options = tiny_image_options(encoder_dir.path(), run_dir, 4);
    options.text_warmup_steps = 3;
    options.caption_matching_weight = 0.5;
    options.caption_word_weight = 0.5;
    options.sampler_noise_levels = true;
    options.jitter_pictures = true;
    options.colour_blind_weight = 1.0;
    return options;
  };
  std::vector<std::string> phases;
  train_diffusion(image_options(straight_dir.path()), [&](const TrainingProgress& progress) {
    if (phases.empty() || phases.back() != progress.phase) phases.push_back(progress.phase);
  });
  EXPECT_EQ(phases, (std::vector<std::string>{"training pictures", "vision tower warm-up", ""}));
  EXPECT_FALSE(std::filesystem::is_empty(straight_dir.path() / "images"));
  std::atomic<bool> cancel{false};
  train_diffusion(image_options(resumed_dir.path()),
                  [&](const TrainingProgress& progress) { cancel = progress.phase.empty() && progress.step >= 2; },
                  &cancel);
  auto resume = image_options(resumed_dir.path());
  resume.resume = true;
  EXPECT_EQ(train_diffusion(resume).steps, 4);
  for (const char* file : {kImageTransformerWeightsFile, kVisionWeightsFile}) {
    const StateDict a = load_checkpoint(straight_dir.path() / file), b = load_checkpoint(resumed_dir.path() / file);
    ASSERT_EQ(a.keys(), b.keys());
    for (const auto& key : a.keys()) EXPECT_TRUE(torch::equal(a.at(key), b.at(key))) << file << ": " << key;
  }
  EXPECT_TRUE(load_checkpoint(straight_dir.path() / kVisionWeightsFile).contains("visual.conv1.weight"));
  EXPECT_EQ(read_file(straight_dir.path() / "loss.csv").substr(0, 47),
            "step,seconds,loss,lr,matching loss,word loss\n2,");

  // sampling.yaml: image_guidance_scale for the image model, else the one guidance for both.
  std::ofstream(straight_dir.path() / kSamplingDefaultsFile) << "guidance_scale: 2\n";
  EXPECT_EQ(model_folder_files(straight_dir.path(), ConditioningMode::kImage).recommended_guidance, GuidanceRecommendation{2.0});
  std::ofstream(straight_dir.path() / kSamplingDefaultsFile) << "guidance_scale: 2\nimage_guidance_scale: 3.5\n";
  EXPECT_EQ(model_folder_files(straight_dir.path(), ConditioningMode::kImage).recommended_guidance, GuidanceRecommendation{3.5});
  std::ofstream(straight_dir.path() / kSamplingDefaultsFile) << "guidance_scale: 2\nimage_guidance_scale: -1\n";
  EXPECT_THROW(model_folder_files(straight_dir.path(), ConditioningMode::kImage), ConfigError);
  // A late guidance for the image model's last, low-noise steps.
  std::ofstream(straight_dir.path() / kSamplingDefaultsFile)
      << "guidance_scale: 2\nimage_guidance_scale: 4\nimage_late_guidance_scale: 1\n"
         "image_late_guidance_below_sigma: 3\n";
  EXPECT_EQ(model_folder_files(straight_dir.path(), ConditioningMode::kImage).recommended_guidance,
            (GuidanceRecommendation{4.0, 3.0, 1.0}));
  for (const char* bad : {"image_late_guidance_scale: 1\n", "image_late_guidance_below_sigma: 3\n",
                          "late_guidance_scale: 1\nlate_guidance_below_sigma: 0\n"}) {
    std::ofstream(straight_dir.path() / kSamplingDefaultsFile) << "guidance_scale: 2\n" << bad;
    try {
      model_folder_files(straight_dir.path(), ConditioningMode::kImage);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const ConfigError& error) {
      EXPECT_NE(std::string(error.what()).find("late_guidance"), std::string::npos) << error.what();
    }
  }
  // Conditioned on three views of the picture (clip/picture_views.h) where the file asks.
  std::ofstream(straight_dir.path() / kSamplingDefaultsFile) << "guidance_scale: 2\nimage_average_views: true\n";
  const ModelFileSet averaging = model_folder_files(straight_dir.path(), ConditioningMode::kImage);
  EXPECT_TRUE(averaging.generator.average_picture_views);
  std::filesystem::remove(straight_dir.path() / kSamplingDefaultsFile);

  const ModelFileSet files = model_folder_files(straight_dir.path(), ConditioningMode::kImage);
  EXPECT_FALSE(files.generator.average_picture_views);
  LatentGenerator generator(files.generator);
  EXPECT_EQ(generator.mode(), ConditioningMode::kImage);
  GenerationSettings settings;
  settings.steps = 4;
  const auto spec = make_primitive(PrimitiveKind::kCube, PrimitiveSize::kLarge, 0, 3);
  Condition condition;
  condition.image = render_primitive_image(spec, random_primitive_view(PrimitiveImageStyle::kPhotoLike, 1));
  const auto result = generator.generate({condition}, settings);
  ASSERT_EQ(result.latents.size(), 1u);
  EXPECT_EQ(result.latents[0].values.size(), 512u);
  // The same seed from the averaged views draws another latent: the setting reaches the model.
  const auto averaged = LatentGenerator(averaging.generator).generate({condition}, settings);
  ASSERT_EQ(averaged.latents.size(), 1u);
  EXPECT_NE(averaged.latents[0].values, result.latents[0].values);

  EXPECT_FALSE(model_folder_has(straight_dir.path(), ConditioningMode::kText));
  try {
    model_folder_files(straight_dir.path(), ConditioningMode::kText);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("has no text model (it holds an image model only)"), std::string::npos) << message;
    EXPECT_NE(message.find(kTransformerWeightsFile), std::string::npos) << message;
  }
}

// An image model can start from a text model's backbone: at a vanishing learning rate its
// transformer is the text model's but for the condition embedding, which the text model lacks.
TEST(TrainingDiffusionRun, ImageModelStartsFromATextModelsBackbone) {
  TempDir encoder_dir, text_dir, image_dir;
  train_encoder(tiny_encoder_options(encoder_dir.path(), 1));
  train_diffusion(tiny_diffusion_options(encoder_dir.path(), text_dir.path(), 1));
  auto options = tiny_image_options(encoder_dir.path(), image_dir.path(), 1);
  options.initial_text_model = text_dir.path();
  options.learning_rate = 1e-12;
  train_diffusion(options);
  const StateDict text = load_checkpoint(text_dir.path() / kTransformerWeightsFile);
  const StateDict image = load_checkpoint(image_dir.path() / kImageTransformerWeightsFile);
  size_t shared = 0;
  for (const auto& key : image.keys()) {
    if (key.rfind("wrapped.clip_embed.", 0) == 0) {
      EXPECT_FALSE(text.contains(key)) << key;
      continue;
    }
    ASSERT_TRUE(text.contains(key)) << key;
    EXPECT_TRUE(torch::allclose(image.at(key), text.at(key), 0.0, 1e-8)) << key;
    ++shared;
  }
  EXPECT_GT(shared, 10u);

  auto text_run = tiny_diffusion_options(encoder_dir.path(), image_dir.path() / "text", 1);
  text_run.initial_text_model = text_dir.path();
  EXPECT_THROW(train_diffusion(text_run), TrainingError);
}

// An image model started from a finished run with a tower config at twice the resolution and patch
// size widens the run's tower (tower_widening.h): at a vanishing learning rate the new tower is the
// old one with its patch kernel spread 2 x 2. At twice the resolution with the same patch size the
// grid is twice as fine: the patch positions' embedding resampled, stage 2 the run's own. Patches
// smaller than the run's are refused.
TEST(TrainingDiffusionRun, ImageModelWidensTheTowerItStartsFrom) {
  TempDir encoder_dir, narrow_dir, wide_dir;
  train_encoder(tiny_encoder_options(encoder_dir.path(), 1));
  train_diffusion(tiny_image_options(encoder_dir.path(), narrow_dir.path(), 1));
  auto options = tiny_image_options(encoder_dir.path(), wide_dir.path() / "wide", 1);
  options.initial_model = narrow_dir.path();
  options.clip_config = fixture("tiny_clip_vision_wide.json");
  options.learning_rate = 1e-12;
  train_diffusion(options);
  const StateDict expected = widen_patch_kernels(load_checkpoint(narrow_dir.path() / kVisionWeightsFile), 16);
  const StateDict wide = load_checkpoint(wide_dir.path() / "wide" / kVisionWeightsFile);
  ASSERT_EQ(wide.keys(), expected.keys());
  EXPECT_EQ(wide.sizes("visual.conv1.weight")[3], 16);
  for (const auto& key : wide.keys()) {
    EXPECT_TRUE(torch::allclose(wide.at(key), expected.at(key), 0.0, 1e-8)) << key;
  }

  const auto finer_grid = wide_dir.path() / "finer_grid.json";
  std::ofstream(finer_grid) << std::regex_replace(read_file(fixture("tiny_clip_vision_wide.json")),
                                                  std::regex("\"vision_patch_size\": 16"),
                                                  "\"vision_patch_size\": 8");
  options.run_dir = wide_dir.path() / "finer";
  options.clip_config = finer_grid;
  train_diffusion(options);
  const StateDict finer_expected = resample_patch_grid(load_checkpoint(narrow_dir.path() / kVisionWeightsFile), 8);
  const StateDict finer = load_checkpoint(options.run_dir / kVisionWeightsFile);
  ASSERT_EQ(finer.keys(), finer_expected.keys());
  EXPECT_EQ(finer.sizes("visual.positional_embedding")[0], 1 + 64);
  for (const auto& key : finer.keys()) {
    EXPECT_TRUE(torch::allclose(finer.at(key), finer_expected.at(key), 0.0, 1e-8)) << key;
  }
  const StateDict narrow_model = load_checkpoint(narrow_dir.path() / kImageTransformerWeightsFile);
  const StateDict finer_model = load_checkpoint(options.run_dir / kImageTransformerWeightsFile);
  for (const auto& key : narrow_model.keys()) {
    EXPECT_TRUE(torch::allclose(finer_model.at(key), narrow_model.at(key), 0.0, 1e-8)) << key;
  }

  const auto smaller_patches = wide_dir.path() / "smaller_patches.json";
  std::ofstream(smaller_patches) << std::regex_replace(read_file(fixture("tiny_clip_vision_wide.json")),
                                                       std::regex("\"vision_patch_size\": 16"),
                                                       "\"vision_patch_size\": 4");
  options.run_dir = wide_dir.path() / "smaller_patches";
  options.clip_config = smaller_patches;
  expect_training_error([&] { train_diffusion(options); }, "a whole multiple of its patch size");
}

// An image model of more layers than the run it starts from, or than the text model whose backbone
// it takes, deepens that model (model_deepening.h): at a vanishing learning rate its first block is
// the starting one and its added block's output projections are zero. A shallower config is refused.
TEST(TrainingDiffusionRun, ImageModelDeepensTheModelItStartsFrom) {
  TempDir encoder_dir, image_dir, text_dir, deep_dir;
  train_encoder(tiny_encoder_options(encoder_dir.path(), 1));
  train_diffusion(tiny_image_options(encoder_dir.path(), image_dir.path(), 1));
  train_diffusion(tiny_diffusion_options(encoder_dir.path(), text_dir.path(), 1));
  const auto two_layers = deep_dir.path() / "two_layers.yaml";
  std::ofstream(two_layers) << std::regex_replace(read_file(fixture("tiny_image_cond.yaml")),
                                                  std::regex("layers: 1"), "layers: 2");
  for (const bool from_text : {false, true}) {
    auto options = tiny_image_options(encoder_dir.path(), deep_dir.path() / (from_text ? "text" : "image"), 1);
    options.transformer_config = two_layers;
    options.learning_rate = 1e-12;
    if (from_text) {
      options.initial_text_model = text_dir.path();
    } else {
      options.initial_model = image_dir.path();
    }
    train_diffusion(options);
    const StateDict start = load_checkpoint(from_text ? text_dir.path() / kTransformerWeightsFile
                                                      : image_dir.path() / kImageTransformerWeightsFile);
    const StateDict deep = load_checkpoint(options.run_dir / kImageTransformerWeightsFile);
    size_t kept = 0, silenced = 0;
    for (const auto& key : deep.keys()) {
      if (key.find(".resblocks.1.") != std::string::npos) {
        EXPECT_FALSE(start.contains(key)) << key;
        if (key.find("c_proj.") == std::string::npos) continue;
        EXPECT_LT(deep.at(key).abs().max().item<float>(), 1e-8) << key;
        ++silenced;
      } else if (start.contains(key)) {
        EXPECT_TRUE(torch::allclose(deep.at(key), start.at(key), 0.0, 1e-8)) << key;
        ++kept;
      } else {
        EXPECT_TRUE(from_text && key.rfind("wrapped.clip_embed.", 0) == 0) << key;
      }
    }
    EXPECT_EQ(silenced, 4u) << (from_text ? "from the text model" : "from the image run");
    EXPECT_GT(kept, 10u) << (from_text ? "from the text model" : "from the image run");
  }

  auto shallower = tiny_image_options(encoder_dir.path(), deep_dir.path() / "shallower", 1);
  shallower.initial_model = deep_dir.path() / "image";
  expect_training_error([&] { train_diffusion(shallower); },
                        "the starting model has 2 transformer layers, more than the config's 1");
}

// An image model can take its vision tower from one image model folder and its transformer's
// backbone from a text model: at a vanishing learning rate each is what it started from. The tower
// cannot come from a second place alongside a finished image run, nor start a text model.
TEST(TrainingDiffusionRun, ImageModelTakesItsTowerFromAnotherModelFolder) {
  TempDir encoder_dir, image_dir, text_dir, run_dir;
  train_encoder(tiny_encoder_options(encoder_dir.path(), 1));
  train_diffusion(tiny_image_options(encoder_dir.path(), image_dir.path(), 1));
  train_diffusion(tiny_diffusion_options(encoder_dir.path(), text_dir.path(), 1));
  auto options = tiny_image_options(encoder_dir.path(), run_dir.path() / "run", 1);
  options.initial_text_model = text_dir.path();
  options.initial_tower_model = image_dir.path();
  options.learning_rate = 1e-12;
  train_diffusion(options);
  const StateDict start_tower = load_checkpoint(image_dir.path() / kVisionWeightsFile);
  const StateDict tower = load_checkpoint(options.run_dir / kVisionWeightsFile);
  ASSERT_EQ(tower.keys(), start_tower.keys());
  for (const auto& key : tower.keys()) {
    EXPECT_TRUE(torch::allclose(tower.at(key), start_tower.at(key), 0.0, 1e-8)) << key;
  }
  const StateDict text = load_checkpoint(text_dir.path() / kTransformerWeightsFile);
  const StateDict model = load_checkpoint(options.run_dir / kImageTransformerWeightsFile);
  EXPECT_TRUE(torch::allclose(model.at("wrapped.ln_post.weight"), text.at("wrapped.ln_post.weight"), 0.0, 1e-8));

  auto both = tiny_image_options(encoder_dir.path(), run_dir.path() / "both", 1);
  both.initial_model = image_dir.path();
  both.initial_tower_model = image_dir.path();
  expect_training_error([&] { train_diffusion(both); }, "a finished image run brings its own vision tower");
  auto text_run = tiny_diffusion_options(encoder_dir.path(), run_dir.path() / "text", 1);
  text_run.initial_tower_model = image_dir.path();
  expect_training_error([&] { train_diffusion(text_run); }, "a starting vision tower is for image models");
}

// A text model can teach an image model: the image model's prediction is pulled towards the text
// model's for each picture's caption, and the gap (the loss.csv's teacher column) closes. A folder
// without a text model, or a text model as the student, is refused.
TEST(TrainingDiffusionRun, ImageModelLearnsWhatItsTextTeacherPredicts) {
  TempDir encoder_dir, text_dir, image_dir;
  train_encoder(tiny_encoder_options(encoder_dir.path(), 1));
  auto text_options = tiny_diffusion_options(encoder_dir.path(), text_dir.path(), 40);
  text_options.learning_rate = 2e-3;
  train_diffusion(text_options);
  auto options = tiny_image_options(encoder_dir.path(), image_dir.path() / "taught", 60);
  options.teacher_text_model = text_dir.path();
  options.teacher_weight = 10.0;
  options.learning_rate = 2e-3;
  options.log_every = 10;
  train_diffusion(options);
  std::ifstream log(image_dir.path() / "taught" / "loss.csv");
  std::string header, line;
  std::getline(log, header);
  EXPECT_EQ(header, "step,seconds,loss,lr,teacher loss");
  std::vector<double> teacher_loss;
  while (std::getline(log, line)) teacher_loss.push_back(std::stod(line.substr(line.rfind(',') + 1)));
  ASSERT_EQ(teacher_loss.size(), 6u);
  EXPECT_LT(teacher_loss.back(), 0.5 * teacher_loss.front()) << header;

  auto not_a_text_model = tiny_image_options(encoder_dir.path(), image_dir.path() / "wrong", 1);
  not_a_text_model.teacher_text_model = image_dir.path() / "taught";
  expect_training_error([&] { train_diffusion(not_a_text_model); },
                        "is not a text model folder: it has no text_cond.yaml");
  auto text_student = tiny_diffusion_options(encoder_dir.path(), image_dir.path() / "text", 1);
  text_student.teacher_text_model = text_dir.path();
  EXPECT_THROW(train_diffusion(text_student), TrainingError);
  auto jittered_text = tiny_diffusion_options(encoder_dir.path(), image_dir.path() / "jittered", 1);
  jittered_text.jitter_pictures = true;
  expect_training_error([&] { train_diffusion(jittered_text); }, "picture jitter is for image models");
}

// Colour-blind words are an image model option on top of caption words, checked before anything is
// encoded.
TEST(TrainingDiffusionRun, ColourBlindWordsAreCheckedFirst) {
  TempDir dir;
  auto no_words = tiny_image_options(dir.path() / "encoder", dir.path() / "blind", 1);
  no_words.colour_blind_weight = 1.0;
  expect_training_error([&] { train_diffusion(no_words); }, "colour-blind words need caption words (--caption-words)");
  auto blind_text = tiny_diffusion_options(dir.path() / "encoder", dir.path() / "text", 1);
  blind_text.colour_blind_weight = 1.0;
  blind_text.caption_word_weight = 1.0;
  expect_training_error([&] { train_diffusion(blind_text); }, "colour-blind words are for image models");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "blind"));
}

TEST(TrainingDiffusionRun, ImageModelsTrainOnThePrimitivesOnly) {
  TempDir dir;
  auto options = tiny_image_options(dir.path() / "encoder", dir.path() / "run", 1);
  options.data = dir.path() / "meshes";
  expect_training_error([&] { train_diffusion(options); }, "tiny_image_cond.yaml is an image-conditioned model");
  options.data.clear();
  options.views_per_shape = 0;
  EXPECT_THROW(train_diffusion(options), TrainingError);
}

// Caption matching (a text tower warm-up, then a loss term) keeps resumes exact: its projection is
// checkpointed with the model (the run also draws the sampler's noise levels, from the step's
// generator). It changes what the tower learns, and frozen CLIP refuses it.
TEST(TrainingDiffusionRun, CaptionMatchingResumesExactly) {
  TempDir encoder_dir, straight_dir, resumed_dir, plain_dir;
  train_encoder(tiny_encoder_options(encoder_dir.path(), 1));
  auto matching_options = [&](const std::filesystem::path& run_dir) {
    auto options = tiny_diffusion_options(encoder_dir.path(), run_dir, 4);
    options.text_warmup_steps = 5;
    options.caption_matching_weight = 0.5;
    options.sampler_noise_levels = true;
    return options;
  };
  train_diffusion(matching_options(straight_dir.path()));
  std::atomic<bool> cancel{false};
  train_diffusion(matching_options(resumed_dir.path()),
                  [&](const TrainingProgress& progress) { cancel = progress.phase.empty() && progress.step >= 2; },
                  &cancel);
  auto resume = matching_options(resumed_dir.path());
  resume.resume = true;
  EXPECT_EQ(train_diffusion(resume).steps, 4);
  for (const char* file : {kTransformerWeightsFile, kClipWeightsFile}) {
    const StateDict a = load_checkpoint(straight_dir.path() / file), b = load_checkpoint(resumed_dir.path() / file);
    ASSERT_EQ(a.keys(), b.keys());
    for (const auto& key : a.keys()) EXPECT_TRUE(torch::equal(a.at(key), b.at(key))) << file << ": " << key;
  }
  EXPECT_EQ(read_file(straight_dir.path() / "loss.csv").substr(0, 37), "step,seconds,loss,lr,matching loss\n2,");

  train_diffusion(tiny_diffusion_options(encoder_dir.path(), plain_dir.path(), 4));
  const StateDict matched = load_checkpoint(straight_dir.path() / kClipWeightsFile);
  const StateDict unmatched = load_checkpoint(plain_dir.path() / kClipWeightsFile);
  EXPECT_FALSE(torch::equal(matched.at("token_embedding.weight"), unmatched.at("token_embedding.weight")));

  auto frozen = matching_options(plain_dir.path());
  frozen.clip_weights = "ViT-L-14.pt";
  expect_training_error([&] { train_diffusion(frozen); }, "does not apply to frozen CLIP weights");
}

// Fine-tuning (--init-from) starts from the given run's weights: at a vanishing learning rate the
// result is those weights, where a fresh start would be a random init.
TEST(TrainingRuns, FineTuningStartsFromTheGivenWeights) {
  TempDir encoder_dir, tuned_encoder_dir, diffusion_dir, tuned_diffusion_dir;
  train_encoder(tiny_encoder_options(encoder_dir.path(), 2));
  train_diffusion(tiny_diffusion_options(encoder_dir.path(), diffusion_dir.path(), 2));

  auto encoder = tiny_encoder_options(tuned_encoder_dir.path(), 1);
  encoder.initial_weights = encoder_dir.path();  // a run folder
  encoder.learning_rate = 1e-12;
  train_encoder(encoder);
  auto diffusion = tiny_diffusion_options(encoder_dir.path(), tuned_diffusion_dir.path(), 1);
  diffusion.initial_model = diffusion_dir.path();
  diffusion.learning_rate = 1e-12;
  train_diffusion(diffusion);

  for (const auto& [from, to, file] :
       {std::tuple{encoder_dir.path(), tuned_encoder_dir.path(), kTransmitterWeightsFile},
        std::tuple{diffusion_dir.path(), tuned_diffusion_dir.path(), kTransformerWeightsFile},
        std::tuple{diffusion_dir.path(), tuned_diffusion_dir.path(), kClipWeightsFile}}) {
    const StateDict a = load_checkpoint(from / file), b = load_checkpoint(to / file);
    ASSERT_EQ(a.keys(), b.keys()) << file;
    for (const auto& key : a.keys()) {
      EXPECT_TRUE(torch::allclose(a.at(key), b.at(key), 0.0, 1e-8)) << file << ": " << key;
    }
  }
  auto missing = tiny_encoder_options(tuned_encoder_dir.path(), 1);
  missing.initial_weights = encoder_dir.path() / "nothing.safetensors";
  EXPECT_ANY_THROW(train_encoder(missing));
}

// Decoder-only fine-tuning keeps the encoder exactly (a stage-2 model trained on its latents stays
// valid) while the params projection and the MLP learn; it refuses to start from a random encoder.
TEST(TrainingRuns, DecoderOnlyFineTuningKeepsTheEncoder) {
  TempDir encoder_dir, tuned_dir, unstarted_dir;
  train_encoder(tiny_encoder_options(encoder_dir.path(), 2));
  auto tuning = tiny_encoder_options(tuned_dir.path(), 2);
  tuning.initial_weights = encoder_dir.path();
  tuning.decoder_only = true;
  tuning.learning_rate = 1e-2;
  train_encoder(tuning);

  const StateDict before = load_checkpoint(encoder_dir.path() / kTransmitterWeightsFile);
  const StateDict after = load_checkpoint(tuned_dir.path() / kTransmitterWeightsFile);
  ASSERT_EQ(before.keys(), after.keys());
  size_t encoder_tensors = 0, changed_decoder_tensors = 0;
  for (const auto& key : before.keys()) {
    const bool same = torch::equal(before.at(key), after.at(key));
    const bool trunk = key.rfind("encoder.", 0) == 0 && key.rfind("encoder.params_proj.", 0) != 0;
    if (trunk) {
      ++encoder_tensors;
      EXPECT_TRUE(same) << key;
    } else if (!same) {
      ++changed_decoder_tensors;
    }
  }
  EXPECT_GT(encoder_tensors, 0u);
  EXPECT_GT(changed_decoder_tensors, 0u);

  auto unstarted = tiny_encoder_options(unstarted_dir.path(), 1);
  unstarted.decoder_only = true;
  expect_training_error([&] { train_encoder(unstarted); }, "decoder-only");
}

}  // namespace
}  // namespace shape::training
