// Shared by the front-end tests: the golden small models as model files and as command-line
// options, a folder per test, a picture for the demo image model (and tests/shell_command.h to
// run a command line).
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

#include "inference/clip/image_file.h"
#include "inference/pipeline/official_models.h"
#include "inference/training/primitive_images.h"
#include "inference/training/primitives.h"
#include "tests/shell_command.h"

namespace shape::testing {

inline std::string golden_file(const std::string& name) { return std::string(SHAPE_GOLDEN_DIR) + "/" + name; }

// The golden e2e models of `kind` ("text" or "image") in place of the official files. The text
// set reads CLIP from its TorchScript form (like ViT-L-14.pt), the image set from the state dict.
inline ModelFileSet golden_model_files(const std::string& kind) {
  ModelFileSet files;
  files.generator.transformer_config = golden_file("e2e." + kind + ".transformer.yaml");
  files.generator.transformer_weights = golden_file("e2e_" + kind + ".transformer.state_dict.pt");
  files.generator.diffusion_config = golden_file("e2e.diffusion.yaml");
  files.generator.clip_weights = golden_file(kind == "text" ? "clip.jit.pt" : "clip.weights.pt");
  files.generator.clip_config = golden_file("e2e.clip.json");
  files.decoder_config = golden_file("e2e.decoder.yaml");
  files.decoder_weights = golden_file("decoder.weights.pt");
  return files;
}

// The same files as shape-cli / shape-studio options.
inline std::string golden_model_arguments(const std::string& kind) {
  const auto files = golden_model_files(kind);
  return " --config " + shell_quoted(files.generator.transformer_config) + " --weights " +
         shell_quoted(files.generator.transformer_weights) + " --diffusion-config " +
         shell_quoted(files.generator.diffusion_config) + " --clip-weights " + shell_quoted(files.generator.clip_weights) +
         " --clip-config " + shell_quoted(files.generator.clip_config) + " --decoder-config " +
         shell_quoted(files.decoder_config) + " --decoder-weights " + shell_quoted(files.decoder_weights);
}

inline std::string read_text(const std::filesystem::path& file) {
  std::ifstream stream(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
}

// A test with a fresh folder of its own (named after the test), removed afterwards.
class TestWithFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("shape_" + std::string(test->test_suite_name()) + "_" + std::string(test->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

// A photo-like picture of a large red cube (a close camera, a floor and soft shadows: a look the
// demo image model never trained on), as a PNG file.
inline void write_photo_like_red_cube(const std::filesystem::path& file) {
  const auto cube = training::make_primitive(training::PrimitiveKind::kCube, training::PrimitiveSize::kLarge, 0, 11);
  write_png_file(training::render_primitive_image(
                     cube, training::random_primitive_view(training::PrimitiveImageStyle::kPhotoLike, 3)),
                 file);
}

}  // namespace shape::testing
