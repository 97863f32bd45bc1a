// The Models panel's custom files: checked on the file system before use, with messages naming the
// field, and persisted with the other settings.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "gui/custom_models.h"
#include "gui/settings_store.h"

namespace shape::studio {
namespace {

namespace fs = std::filesystem;

TEST(CustomModels, EmptyPathsMeanTheOfficialFiles) { EXPECT_EQ(check_custom_models({}), ""); }

TEST(CustomModels, MissingFilesFoldersAndHalfPairsAreNamed) {
  const fs::path dir = fs::temp_directory_path() / ("shape_custom_models_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "decoder.yaml") << "x";
  CustomModelPaths paths;
  paths[ModelPath::WeightsDir] = (dir / "decoder.yaml").string();
  paths[ModelPath::TransformerConfig] = (dir / "nope.yaml").string();
  paths[ModelPath::DecoderConfig] = (dir / "decoder.yaml").string();
  paths[ModelPath::ClipWeights] = dir.string();
  const std::string message = check_custom_models(paths);
  EXPECT_NE(message.find("weights folder: not a folder"), std::string::npos) << message;
  EXPECT_NE(message.find("diffusion config: no such file"), std::string::npos) << message;
  EXPECT_NE(message.find("CLIP weights: not a file"), std::string::npos) << message;
  EXPECT_NE(message.find("diffusion config and diffusion weights go together"), std::string::npos) << message;
  EXPECT_NE(message.find("decoder config and decoder weights go together"), std::string::npos) << message;

  CustomModelPaths good;
  good[ModelPath::WeightsDir] = dir.string();
  good[ModelPath::DecoderConfig] = good[ModelPath::DecoderWeights] = (dir / "decoder.yaml").string();
  EXPECT_EQ(check_custom_models(good), "");
  fs::remove_all(dir);
}

TEST(CustomModels, PathsAndPreviewSettingsPersist) {
  StudioSettings settings;
  settings.models[ModelPath::TransformerConfig] = "/models/my model.yaml";
  settings.models[ModelPath::TransformerWeights] = " /models/weights=1.pt";
  settings.models[ModelPath::WeightsDir] = "/downloads";
  settings.training_run_dir = "/runs/first run";
  settings.preview_every = 4;
  settings.preview_coarse_samples = 16;
  settings.preview_fine_samples = 0;
  EXPECT_EQ(parse_settings(serialize_settings(settings)), settings);
  // Out-of-range preview values are clamped like the others.
  const auto parsed = parse_settings("preview_every=1000\npreview_coarse_samples=-5\n");
  EXPECT_EQ(parsed.preview_every, kMaxPreviewEvery);
  EXPECT_EQ(parsed.preview_coarse_samples, 0);
}

}  // namespace
}  // namespace shape::studio
