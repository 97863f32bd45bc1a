// What LatentGenerator and LatentDecoder read of their files: a text model never reads (nor builds)
// CLIP's vision tower, an image model never its text tower, the decoder never the transmitter's
// encoder trunk. Shown by corrupting exactly those tensors: the loads that skip them still work.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "golden.h"
#include "pipeline_test_support.h"
#include "inference/checkpoint/byte_source.h"
#include "inference/checkpoint/checkpoint_loader.h"
#include "inference/checkpoint/stored_tensors.h"
#include "inference/checkpoint/torch_zip_checkpoint.h"
#include "inference/clip/clip_weights.h"
#include "inference/pipeline/latent_decoder.h"
#include "inference/pipeline/latent_generator.h"
#include "tests/inference/checkpoint_test_util.h"

namespace shape {
namespace {

using namespace checkpoint_test;
using testing::golden_path;

// The golden e2e generator of `kind` with another CLIP file.
GeneratorFiles golden_files_with_clip(const std::string& kind, const std::filesystem::path& clip_weights) {
  GeneratorFiles files = testing::golden_generator_files(kind);
  files.clip_weights = clip_weights;
  return files;
}

// `bytes` with one byte of every record whose tensor name starts with `prefix` flipped, so reading
// any of them fails its CRC-32.
std::string corrupt_tensors(const std::string& bytes, const std::string& prefix, bool torchscript) {
  auto source = std::make_shared<checkpoint_detail::SharedBufferByteSource>(bytes.data(), bytes.size());
  const auto stored = torchscript ? checkpoint_detail::index_torchscript_zip_tensors(source)
                                  : checkpoint_detail::index_checkpoint(source);
  std::string corrupt = bytes;
  int count = 0;
  for (size_t i = 0; i < stored->tensors().size(); ++i) {
    if (stored->tensors()[i].name.rfind(prefix, 0) != 0 || stored->record_of(i).numel == 0) continue;
    corrupt[stored->record_of(i).offset] ^= 0x40;
    ++count;
  }
  EXPECT_GT(count, 0) << prefix;
  return corrupt;
}

TEST(PipelineLoading, EachConditioningReadsOnlyItsOwnClipTower) {
  const TempDir dir;
  const std::string clip = read_file(golden_path("clip.jit.pt"));
  const auto broken_vision = dir.write("broken_vision.pt", corrupt_tensors(clip, "visual.", true));
  const auto broken_text = dir.write("broken_text.pt", corrupt_tensors(clip, "transformer.", true));

  EXPECT_NO_THROW(LatentGenerator(golden_files_with_clip("text", broken_vision)));
  EXPECT_NO_THROW(LatentGenerator(golden_files_with_clip("image", broken_text)));
  const std::string text_error =
      checkpoint_error_of([&] { LatentGenerator(golden_files_with_clip("text", broken_text)); });
  EXPECT_NE(text_error.find(broken_text.string()), std::string::npos) << text_error;
  EXPECT_NE(text_error.find("CRC-32 mismatch"), std::string::npos) << text_error;
  const std::string image_error =
      checkpoint_error_of([&] { LatentGenerator(golden_files_with_clip("image", broken_vision)); });
  EXPECT_NE(image_error.find(broken_vision.string()), std::string::npos) << image_error;
}

TEST(PipelineLoading, OneTowerClipModelsHoldOnlyThatTower) {
  ClipLoadOptions options;
  options.config = load_clip_config_json(golden_path("e2e.clip.json"));
  options.towers = ClipTowers::kText;
  const ClipModel text = load_clip_model(golden_path("clip.jit.pt"), options);
  options.towers = ClipTowers::kVision;
  const ClipModel vision = load_clip_model(golden_path("clip.jit.pt"), options);
  options.towers = ClipTowers::kBoth;
  const ClipModel both = load_clip_model(golden_path("clip.jit.pt"), options);
  const auto count = [](const ClipModel& model, const std::string& prefix) {
    int64_t numel = 0;
    for (const auto& item : model->named_parameters()) {
      if (item.key().rfind(prefix, 0) == 0) numel += item.value().numel();
    }
    return numel;
  };
  EXPECT_EQ(count(text, "visual."), 0);
  EXPECT_EQ(count(vision, "visual."), count(both, "visual."));
  EXPECT_EQ(count(vision, ""), count(both, "visual."));
  EXPECT_EQ(count(text, ""), count(both, "") - count(both, "visual.") - 1);  // and no logit_scale
  // The same values as the model holding both towers.
  for (const auto& item : text->named_parameters()) {
    EXPECT_TRUE(item.value().equal(both->named_parameters()[item.key()])) << item.key();
  }
}

TEST(PipelineLoading, TheDecoderNeverReadsTheEncoderTrunk) {
  const TempDir dir;
  const std::string transmitter = read_file(golden_path("loader/decoder.state_dict.pt"));
  const auto broken_trunk =
      dir.write("broken_trunk.pt", corrupt_tensors(transmitter, "encoder.backbone.", false));
  const auto broken_renderer = dir.write("broken_renderer.pt", corrupt_tensors(transmitter, "renderer.", false));

  const LatentDecoder original(golden_path("e2e.decoder.yaml"), golden_path("loader/decoder.state_dict.pt"));
  const LatentDecoder without_trunk(golden_path("e2e.decoder.yaml"), broken_trunk);
  Latent latent;
  latent.values.resize(static_cast<size_t>(original.latent_size()));
  for (size_t i = 0; i < latent.values.size(); ++i) latent.values[i] = 0.01f * static_cast<float>(i % 97) - 0.4f;
  const Mesh expected = original.decode_mesh(latent, {16});
  const Mesh mesh = without_trunk.decode_mesh(latent, {16});
  EXPECT_EQ(mesh.positions, expected.positions);
  EXPECT_EQ(mesh.triangles, expected.triangles);

  const std::string error =
      checkpoint_error_of([&] { LatentDecoder(golden_path("e2e.decoder.yaml"), broken_renderer); });
  EXPECT_NE(error.find(broken_renderer.string()), std::string::npos) << error;
  EXPECT_NE(error.find("CRC-32 mismatch"), std::string::npos) << error;
}

}  // namespace
}  // namespace shape
