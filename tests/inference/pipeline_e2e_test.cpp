// The whole official chain with small random models (golden e2e_text / e2e_image): CLIP
// conditioning, guided Karras sampling, STF meshes and NeRF views, through the same
// LatentGenerator / LatentDecoder the CLI and GUI use.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "golden.h"
#include "pipeline_test_support.h"
#include "inference/clip/image_u8.h"
#include "inference/decoder/camera.h"
#include "inference/pipeline/latent_decoder.h"
#include "inference/pipeline/latent_generator.h"

namespace shape {
namespace {

using testing::all_close;
using testing::golden_generator_files;
using testing::golden_image;
using testing::golden_path;
using testing::mesh_colors;
using testing::mesh_faces;
using testing::mesh_positions;
using testing::stack;

// Sampling, then per latent a 32^3 STF mesh and a 16x16 NeRF view of pan camera 0.
void expect_chain_matches(const std::string& kind, const std::vector<Condition>& conditions, uint64_t seed,
                          double guidance, double sample_atol) {
  const auto golden = testing::load_golden("e2e_" + kind);
  LatentGenerator generator(golden_generator_files(kind));
  GenerationSettings settings;
  settings.seed = seed;
  settings.steps = 8;
  settings.guidance_scale = guidance;
  std::vector<GenerationStep> steps;
  const auto result = generator.generate(conditions, settings, [&](const GenerationStep& step) { steps.push_back(step); });

  ASSERT_EQ(steps.size(), 9u);
  for (int64_t i = 0; i < 9; ++i) {
    SCOPED_TRACE(kind + " step " + std::to_string(i));
    const auto& reference = golden.at("steps.x")[i];
    // As karras_text: 1e-3 * max|ref_step| + 1e-4, not below the reference's float32/64 spread.
    const double x_tolerance = std::max(1e-3 * reference.abs().max().item<double>() + 1e-4, 1.5e-2);
    EXPECT_TRUE(all_close(stack(steps[i].noisy), reference, x_tolerance, 0.0));
    EXPECT_TRUE(all_close(stack(steps[i].predicted), golden.at("steps.pred_xstart")[i], 1e-2, 0.0));
  }
  EXPECT_TRUE(all_close(stack(result.latents), golden.at("sample"), sample_atol, 0.0));

  LatentDecoder decoder(golden_path("e2e.decoder.yaml"), golden_path("loader/decoder.state_dict.pt"));
  const auto camera = create_pan_cameras(16).front();
  for (int64_t i = 0; i < 2; ++i) {
    SCOPED_TRACE(kind + " latent " + std::to_string(i));
    const std::string prefix = "mesh." + std::to_string(i) + ".";
    // Decode the reference latent, so mesh parity does not depend on the sampler's last bits.
    Latent reference;
    const auto row = golden.at("sample")[i].contiguous();
    reference.values.assign(row.data_ptr<float>(), row.data_ptr<float>() + row.numel());
    const auto mesh = decoder.decode_mesh(reference, {32});
    EXPECT_TRUE(all_close(mesh_positions(mesh), golden.at(prefix + "verts"), 1e-4, 0.0));
    EXPECT_TRUE(testing::exactly_equal(mesh_faces(mesh), golden.at(prefix + "faces")));
    const auto colors = torch::stack({golden.at(prefix + "vertex_channels.R"), golden.at(prefix + "vertex_channels.G"),
                                      golden.at(prefix + "vertex_channels.B")}, 1);
    EXPECT_TRUE(all_close(mesh_colors(mesh), colors, 2e-3, 0.0));

    RenderSettings render;
    render.seed = (kind == "text" ? 3024 : 1077) + i;  // e2e_*.json: nerf.seed_base + i
    render.ray_batch_size = 256;
    const auto image = decoder.render_nerf(reference, camera, render);
    const auto pixels = torch::from_blob(const_cast<uint8_t*>(image.pixels.data()), {1, 1, 16, 16, 3}, torch::kUInt8);
    EXPECT_TRUE(all_close(pixels, golden.at("nerf." + std::to_string(i) + ".image_uint8"), 1.0, 0.0));
  }
}

TEST(PipelineEndToEnd, TextChainMatchesOfficial) {
  expect_chain_matches("text", {{"a red chair", {}}, {"a shark swimming in the ocean", {}}}, 2024, 15.0, 5e-3);
}

TEST(PipelineEndToEnd, ImageChainMatchesOfficial) {
  const auto golden = testing::load_golden("e2e_image");
  expect_chain_matches("image",
                       {{"", golden_image(golden.at("image0_uint8_hwc"))}, {"", golden_image(golden.at("image1_uint8_hwc"))}},
                       77, 3.0, 2e-3);
}

TEST(PipelineEndToEnd, BadConditionsAreExplained) {
  LatentGenerator generator(golden_generator_files("text"));
  GenerationSettings settings;
  settings.steps = 1;
  EXPECT_THROW(generator.generate({}, settings), std::invalid_argument);
  EXPECT_THROW(generator.generate({{"   ", {}}}, settings), std::invalid_argument);
  std::string words;
  for (int i = 0; i < 100; ++i) words += "word" + std::to_string(i) + " ";
  const auto long_prompt = generator.generate({{words, {}}}, settings);
  ASSERT_EQ(long_prompt.notices.size(), 1u);
  EXPECT_NE(long_prompt.notices[0].find("cut"), std::string::npos);
}

TEST(PipelineEndToEnd, CancelStopsGeneration) {
  LatentGenerator generator(golden_generator_files("text"));
  std::atomic<bool> cancel{false};
  GenerationSettings settings;
  settings.steps = 8;
  int reports = 0;
  EXPECT_THROW(generator.generate({{"a red chair", {}}}, settings,
                                  [&](const GenerationStep& step) {
                                    ++reports;
                                    if (step.step == 1) cancel = true;
                                  },
                                  &cancel),
               std::runtime_error);
  EXPECT_EQ(reports, 2);
}

TEST(PipelineLatents, SaveAndLoadRoundTrip) {
  const auto path = std::filesystem::temp_directory_path() / "shape_latents_roundtrip.pt";
  std::vector<Latent> latents(2);
  latents[0].values = {1.5f, -2.0f, 0.25f};
  latents[1].values = {0.0f, 3.0f, -1.0f};
  save_latents(latents, path);
  const auto loaded = load_latents(path);
  ASSERT_EQ(loaded.size(), 2u);
  EXPECT_EQ(loaded[0].values, latents[0].values);
  EXPECT_EQ(loaded[1].values, latents[1].values);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace shape
