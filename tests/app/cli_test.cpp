// shape-cli end to end with the golden small models: what a user types, what they get back.
#include <cstdio>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "inference/checkpoint/checkpoint.h"
#include "inference/clip/image_file.h"
#include "inference/diffusion/sampler_choice.h"
#include "inference/export/mesh_import.h"
#include "inference/pipeline/latent.h"
#include "inference/pipeline/latent_generator.h"
#include "inference/pipeline/model_folder.h"
#include "inference/training/primitive_images.h"
#include "inference/training/primitives.h"
#include "tests/app/app_test_support.h"
#include "tests/inference/golden.h"

namespace fs = std::filesystem;

namespace shape {
namespace {

using testing::CommandResult;
using testing::read_text;
using testing::run_shell;
using testing::shell_quoted;

std::string golden(const std::string& name) { return shell_quoted(testing::golden_path(name)); }
std::string golden_text_models() { return testing::golden_model_arguments("text"); }
std::string golden_image_models() { return testing::golden_model_arguments("image"); }

std::string cli() { return shell_quoted(SHAPE_CLI_PATH); }

class Cli : public testing::TestWithFolder {};

::testing::AssertionResult passes_gltf_validator(const std::string& file) {
  const fs::path tools = SHAPE_TEST_TOOLS_DIR;
  if (!fs::exists(tools / "node_modules" / "gltf-validator")) {
    return ::testing::AssertionFailure() << "glTF-Validator not installed: npm ci --prefix tests/tools";
  }
  const auto result = run_shell("node " + shell_quoted((tools / "gltf_validate.mjs").string()) + " --fail-on-warnings " + shell_quoted(file));
  if (result.exit_code == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << result.output;
}

TEST_F(Cli, GenerateFromTextWritesMeshRenderAndTheLibrarysLatents) {
  const auto result = run_shell(cli() + " generate --prompt 'a red chair' --seed 2024 --steps 8 --precision fp32 --grid 32 -o " +
                                path("chair.glb") + " --save-latent " + path("chair.pt") + " --render " +
                                path("chair.png") + " --render-size 16 --render-views 4" + golden_text_models());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("step 8/8"), std::string::npos) << result.output;
  EXPECT_TRUE(passes_gltf_validator(path("chair.glb")));
  EXPECT_GT(read_gltf(path("chair.glb")).triangles.size(), 100u);
  EXPECT_TRUE(fs::exists(path("chair.png")));

  // The same request through the library gives the same latent.
  const auto files = testing::golden_model_files("text").generator;
  GenerationSettings settings;
  settings.seed = 2024;
  settings.steps = 8;
  const auto expected = LatentGenerator(files).generate({{"a red chair", {}}}, settings).latents;
  const auto saved = load_latents(path("chair.pt"));
  ASSERT_EQ(saved.size(), 1u);
  EXPECT_EQ(saved[0].values, expected[0].values);
  // And the official chain's first sample: each sample's trajectory is independent of the others
  // in the batch, and seed 2024's first 4096 normals are the same in a [1, 4096] or [2, 4096] draw.
  EXPECT_TRUE(testing::all_close(torch::tensor(saved[0].values), testing::load_golden("e2e_text").at("sample")[0],
                                 5e-3, 0.0));
}

// --precision bf16 runs the transformer in bf16 (the default `auto` does so on CPUs with native bf16):
// the latent stays within the official bf16 path's distance of the float32 one (see
// tests/inference/pipeline_precision_test.cpp), and the command says which precision it used.
TEST_F(Cli, Bf16GenerationSaysSoAndStaysNearTheFloat32Latent) {
  const auto result = run_shell(cli() + " generate --prompt 'a red chair' --seed 2024 --steps 8 --precision bf16 --grid 16 -o " +
                                path("chair.glb") + " --save-latent " + path("chair.pt") + golden_text_models());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("precision bf16"), std::string::npos) << result.output;
  const auto saved = torch::tensor(load_latents(path("chair.pt"))[0].values);
  const auto reference = testing::load_golden("e2e_text").at("sample")[0];
  const double relative = ((saved - reference).norm() / reference.norm()).item<double>();
  EXPECT_LT(relative, 0.30);
  EXPECT_GT(relative, 1e-3);
}

TEST_F(Cli, GenerateFromImageInEveryFormatAndBatch) {
  const auto golden_case = testing::load_golden("e2e_image");
  const auto hwc = golden_case.at("image0_uint8_hwc");
  // The golden image as a PNG (lossless).
  const auto pixels = hwc.contiguous();
  const uint8_t* bytes = pixels.data_ptr<uint8_t>();
  write_png_file(ImageU8{static_cast<int>(hwc.size(1)), static_cast<int>(hwc.size(0)), 3,
                         std::vector<uint8_t>(bytes, bytes + pixels.numel())},
                 path("ref.png"));
  for (const std::string format : {"ply", "obj", "gltf"}) {
    const auto result = run_shell(cli() + " generate --image " + path("ref.png") + " --steps 2 --grid 24 --batch 2 --format " +
                                  format + " -o " + path("out." + format) + golden_image_models());
    ASSERT_EQ(result.exit_code, 0) << result.output;
    for (int i = 0; i < 2; ++i) {
      const auto file = path("out_" + std::to_string(i) + "." + format);
      ASSERT_TRUE(fs::exists(file)) << file;
      EXPECT_GT(read_mesh(file).triangles.size(), 10u) << file;
    }
  }
  EXPECT_TRUE(passes_gltf_validator(path("out_0.gltf")));
}

// --turntable writes a looping animated WebP of NeRF views all around, per sample; a path that is not
// .webp is refused before any work.
TEST_F(Cli, TurntableWritesAnAnimatedWebp) {
  const auto result = run_shell(cli() + " generate --prompt 'a shark' --steps 2 --grid 16 --batch 2 -o " + path("a.glb") +
                                " --turntable " + path("spin.webp") + " --turntable-frames 4 --turntable-size 32" +
                                golden_text_models());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  for (const std::string name : {"spin_0.webp", "spin_1.webp"}) {
    EXPECT_NE(result.output.find("wrote " + path(name) + ": 4 frames of 32x32"), std::string::npos) << result.output;
    std::ifstream in(path(name), std::ios::binary);
    std::string head(64, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    EXPECT_EQ(head.substr(0, 4), "RIFF");
    EXPECT_EQ(head.substr(8, 4), "WEBP");
    EXPECT_NE(head.find("ANIM"), std::string::npos);  // an animation, not a still
  }
  const auto refused = run_shell(cli() + " generate --prompt 'a shark' --turntable " + path("spin.gif") + golden_text_models());
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("--turntable writes an animated WebP"), std::string::npos) << refused.output;
}

TEST_F(Cli, DecodeSavedLatents) {
  auto result = run_shell(cli() + " generate --prompt 'a shark' --steps 2 --grid 24 --precision fp32 -o " + path("a.glb") +
                          " --save-latent " + path("a.pt") + golden_text_models());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  // Decoded on the dense grid, shap-e's way: in float32 (the exact path) the same mesh as generate's
  // coarse-to-fine grid.
  result = run_shell(cli() + " decode --latent " + path("a.pt") + " --grid 24 --dense-grid --precision fp32 -o " + path("b.glb") +
                     " --decoder-config " + golden("e2e.decoder.yaml") + " --decoder-weights " + golden("decoder.weights.pt"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(read_gltf(path("a.glb")).triangles, read_gltf(path("b.glb")).triangles);
}

// The export options on generate and decode: Y-up, standing on the ground and simplified to the
// default budget unless told otherwise, and a line saying what was written.
TEST_F(Cli, ExportOptionsOrientPlaceScaleAndSimplify) {
  auto result = run_shell(cli() + " generate --prompt 'a shark' --steps 2 --grid 24 --precision fp32 --format ply -o " +
                          path("a.ply") + " --save-latent " + path("a.pt") + golden_text_models());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  Mesh mesh = read_mesh(path("a.ply"));  // back in Shap-E's frame: the ground is z = 0
  float low_z = INFINITY;
  for (const auto& p : mesh.positions) low_z = std::min(low_z, p[2]);
  EXPECT_EQ(low_z, 0.0f);
  std::ifstream ply(path("a.ply"), std::ios::binary);
  std::string header;
  std::getline(ply, header, '\0');
  EXPECT_NE(header.find("comment up_axis Y"), std::string::npos);
  std::string count = std::to_string(mesh.triangles.size());
  for (int i = static_cast<int>(count.size()) - 3; i > 0; i -= 3) count.insert(static_cast<size_t>(i), ",");
  EXPECT_NE(result.output.find("wrote " + path("a.ply") + ": " + count + " triangles, "),
            std::string::npos)
      << result.output;

  const std::string decode = cli() + " decode --latent " + path("a.pt") + " --grid 24 --precision fp32 --decoder-config " +
                             golden("e2e.decoder.yaml") + " --decoder-weights " + golden("decoder.weights.pt");
  result = run_shell(decode + " --up z --origin center --scale 3 --simplify 40 -o " + path("b.obj"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  mesh = read_mesh(path("b.obj"));
  std::array<float, 3> low{INFINITY, INFINITY, INFINITY}, high{-INFINITY, -INFINITY, -INFINITY};
  for (const auto& p : mesh.positions) {
    for (size_t a = 0; a < 3; ++a) low[a] = std::min(low[a], p[a]), high[a] = std::max(high[a], p[a]);
  }
  EXPECT_NEAR(std::max({high[0] - low[0], high[1] - low[1], high[2] - low[2]}), 3.0f, 1e-5);
  for (size_t a = 0; a < 3; ++a) EXPECT_NEAR(high[a] + low[a], 0.0f, 1e-5) << a;
  EXPECT_LE(mesh.triangles.size(), 40u);
  EXPECT_NE(result.output.find("wrote " + path("b.obj") + ": " + std::to_string(mesh.triangles.size()) + " triangles"),
            std::string::npos)
      << result.output;

  result = run_shell(decode + " --simplify 0 -o " + path("all.glb"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_GT(read_gltf(path("all.glb")).triangles.size(), 40u);
  EXPECT_TRUE(passes_gltf_validator(path("all.glb")));
}

// Every golden samplers case through the CLI. The golden x_T is randn(2, 4096) * 160 after seed 4242,
// for ["a red chair", "a shark swimming in the ocean"]: --batch 2 of "a red chair" draws the same
// [2, 4096], and its row 0 follows the golden row 0's trajectory (rows never mix).
TEST_F(Cli, EverySamplerMatchesTheGoldenSample) {
  const auto golden_case = testing::load_golden("samplers");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"dpm++2m", "8"}, {"dpm++2m", "16"}, {"euler", "8"}, {"dpm++3m", "12"}, {"heun", "8"}};
  const std::vector<std::string> golden_names = {"dpmpp_2m.8", "dpmpp_2m.16", "euler.8", "dpmpp_3m.12", "heun.8"};
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& [sampler, steps] = cases[i];
    SCOPED_TRACE(golden_names[i]);
    const auto result = run_shell(cli() + " generate --prompt 'a red chair' --batch 2 --seed 4242 --guidance 15" +
                                  " --precision fp32 --sampler " + sampler + " --steps " + steps + " --grid 8 -o " + path("x.glb") +
                                  " --save-latent " + path("x.pt") + golden_text_models());
    ASSERT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("sampler: " + sampler + ", " + steps + " steps"), std::string::npos) << result.output;
    const auto saved = load_latents(path("x.pt"));
    ASSERT_EQ(saved.size(), 2u);
    EXPECT_TRUE(testing::all_close(torch::tensor(saved[0].values), golden_case.at(golden_names[i] + ".sample")[0],
                                   5e-3, 0.0));
  }
}

// The presets name what they run; --steps replaces a preset's steps and keeps its sampler.
TEST_F(Cli, PresetsAndTheirOverrides) {
  const auto official = preset_choice(SamplerPreset::kOfficial);
  const auto fast = preset_choice(SamplerPreset::kFast);
  const std::vector<std::pair<std::string, SamplerChoice>> cases = {
      {"--preset official --steps 3", {official.sampler, 3}},
      {"--preset fast", fast},
      {"--preset fast --sampler euler", {SamplerKind::kEuler, fast.steps}},
  };
  for (const auto& [arguments, expected] : cases) {
    const auto result = run_shell(cli() + " generate --prompt 'a lamp' " + arguments + " --grid 8 -o " + path("x.glb") +
                                  golden_text_models());
    EXPECT_EQ(result.exit_code, 0) << arguments << "\n" << result.output;
    EXPECT_NE(result.output.find("sampler: " + describe(expected)), std::string::npos) << arguments << "\n"
                                                                                        << result.output;
  }
}

// evaluate-samplers against a Heun-8 reference measures what the golden samples say: the distance of
// the golden DPM++(2M)-8 sample from the golden Heun-8 one, per prompt.
TEST_F(Cli, EvaluateSamplersMeasuresTheDistanceFromTheReference) {
  const auto result = run_shell(cli() + " evaluate-samplers --prompt 'a red chair'" +
                                " --prompt 'a shark swimming in the ocean' --seed 4242 --seeds 1 --guidance 15" +
                                " --samplers dpm++2m --steps 8 --reference-steps 8 --precision fp32" + golden_text_models());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto golden_case = testing::load_golden("samplers");
  const auto reference = golden_case.at("heun.8.sample");
  const auto distances =
      (golden_case.at("dpmpp_2m.8.sample") - reference).norm(2, {1}) / reference.norm(2, {1}) * 100.0;
  const std::string row_start = "| dpm++2m | 8 | 8 | ";
  const auto row = result.output.find(row_start);
  ASSERT_NE(row, std::string::npos) << result.output;
  double mean = 0.0, max = 0.0;
  ASSERT_EQ(std::sscanf(result.output.c_str() + row + row_start.size(), "%lf %% | %lf %%", &mean, &max), 2);
  // Our samples lie within 5e-3 of the golden ones, which moves these distances by far less than 1 %.
  EXPECT_NEAR(mean, distances.mean().item<double>(), 0.01 * distances.mean().item<double>()) << result.output;
  EXPECT_NEAR(max, distances.max().item<double>(), 0.01 * distances.max().item<double>()) << result.output;
  EXPECT_NE(result.output.find("reference heun, 8 steps (15 model evaluations)"), std::string::npos) << result.output;
}

TEST_F(Cli, BadInputGetsOneClearLineAndNoCrash) {
  struct Case {
    std::string arguments;
    int exit_code;
    std::string message;
  };
  std::ofstream(path("not_an_image.png")) << "this is text";
  const std::vector<Case> cases = {
      {"generate --prompt '   '", 2, "the prompt is empty"},
      {"generate", 2, "exactly one of --prompt and --image"},
      {"generate --prompt x --image y", 2, "exactly one of --prompt and --image"},
      {"generate --prompt x --steps zero", 2, "--steps needs a positive integer"},
      {"generate --prompt x --format stl", 2, "--format takes glb, gltf, ply or obj"},
      {"generate --prompt x --origin middle", 2, "--origin takes bottom or center, got 'middle'"},
      {"generate --prompt x --scale -1", 2, "--scale takes a positive size in metres, got '-1'"},
      {"generate --prompt x --scale 0", 2, "--scale takes a positive size in metres, got '0'"},
      {"generate --prompt x --up w", 2, "--up takes y or z, got 'w'"},
      {"generate --prompt x --up z -o " + path("x.glb"), 2, "--up z is for PLY and OBJ: glTF is always Y-up"},
      {"decode --latent a.pt --origin top", 2, "--origin takes bottom or center, got 'top'"},
      {"decode --latent a.pt --simplify -5", 2, "--simplify takes a triangle count (0 keeps them all), got '-5'"},
      {"generate --prompt x --frobnicate 1", 2, "unknown generate option '--frobnicate'"},
      {"frobnicate", 2, "unknown command"},
      {"generate --prompt x -o " + path("missing_dir/x.glb"), 1, "does not exist"},
      {"generate --prompt x -o " + path("x.stl"), 1, "unknown mesh format '.stl'"},
      {"generate --image " + path("not_an_image.png") + golden_image_models() + " -o " + path("x.glb"), 1,
       "not_an_image.png"},
      {"generate --image " + path("nowhere.png") + " -o " + path("x.glb"), 1, "nowhere.png"},
      {"generate --prompt x --config " + golden("e2e.text.transformer.yaml") + " --weights " +
           golden("decoder.weights.pt") + " --clip-weights " + golden("clip.weights.pt") + " --clip-config " +
           golden("e2e.clip.json") + " --decoder-config " + golden("e2e.decoder.yaml") + " --decoder-weights " +
           golden("decoder.weights.pt") + " -o " + path("x.glb"),
       1, "missing tensors"},
      {"decode -o " + path("x.glb"), 2, "decode needs --latent"},
      {"decode --latent " + path("nowhere.pt") + " -o " + path("x.glb"), 1, "nowhere.pt"},
      {"generate --prompt x --device tpu", 1, "unknown device 'tpu'"},
      {"generate --prompt x --precision int8", 2, "--precision: precision must be auto, fp32, bf16 or fp16, got 'int8'"},
      {"generate --prompt x --precision fp16", 2, "fp16 needs a CUDA device; on a CPU use bf16 or fp32"},
      {"bench --precision half", 2, "--precision: precision must be auto, fp32, bf16 or fp16, got 'half'"},
      {"evaluate-primitives --precision fp16", 2, "fp16 needs a CUDA device"},
      {"generate --prompt x --sampler dpm2", 2,
       "--sampler: unknown sampler 'dpm2' (choose heun, dpm++2m, dpm++3m or euler)"},
      {"generate --prompt x --preset quick", 2, "--preset: unknown sampler preset 'quick' (choose official or fast)"},
      {"generate --prompt x --sampler", 2, "option '--sampler' needs a value"},
      {"evaluate-primitives --sampler heun2", 2, "unknown sampler 'heun2'"},
      {"evaluate-samplers --seeds 1", 2, "evaluate-samplers needs at least one --prompt"},
      {"evaluate-samplers --prompt x --samplers heun,ddim", 2, "--samplers: unknown sampler 'ddim'"},
      {"evaluate-samplers --prompt x --steps 8,0", 2, "--steps needs a positive integer, got '0'"},
      {"evaluate-samplers --prompt x --guidance-interval 5", 2, "--guidance-interval takes LOW:HIGH"},
  };
  for (const auto& test : cases) {
    const auto result = run_shell(cli() + " " + test.arguments);
    EXPECT_EQ(result.exit_code, test.exit_code) << test.arguments << "\n" << result.output;
    EXPECT_NE(result.output.find(test.message), std::string::npos) << test.arguments << "\n" << result.output;
  }
  EXPECT_TRUE(fs::is_empty(dir_ / "") || !fs::exists(path("x.glb")));
}

TEST_F(Cli, MissingOfficialWeightsNameEachFileUrlAndPlace) {
  const auto result = run_shell("SHAPE_STUDIO_CACHE=" + shell_quoted(path("cache")) + " " + cli() +
                                " generate --no-demo --prompt 'a chair' -o " + path("x.glb"));
  EXPECT_EQ(result.exit_code, 1) << result.output;
  const std::vector<std::string> expected_parts = {"text_cond.pt", "transmitter.pt", "ViT-L-14.pt",
                                                   "https://openaipublic.azureedge.net/main/shap-e/text_cond.pt",
                                                   path("cache"), "--download"};
  for (const auto& expected : expected_parts) {
    EXPECT_NE(result.output.find(expected), std::string::npos) << expected << "\n" << result.output;
  }
}

TEST_F(Cli, WithoutOfficialWeightsTheDemoModelStandsInAndSaysSo) {
  const auto result = run_shell("SHAPE_STUDIO_CACHE=" + shell_quoted(path("cache")) + " " + cli() +
                                " generate --prompt 'a red cube' --grid 32 -o " + path("cube.glb"));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("official Shap-E model files are not available, so the built-in demo model stands in"),
            std::string::npos) << result.output;
  EXPECT_NE(result.output.find("--download"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("guidance 2, as this model recommends"), std::string::npos) << result.output;
  EXPECT_GT(fs::file_size(path("cube.glb")), 1000u);
}

// The image side offline: a picture of a red cube (photo-like: a close camera, a floor and soft
// shadows, a look the demo image model never trained on) comes out of `generate --image` as a red
// cube, judged by the primitives' geometric classifier.
TEST_F(Cli, WithoutOfficialWeightsTheDemoImageModelTurnsAPictureIntoThatPrimitive) {
  testing::write_photo_like_red_cube(path("red_cube.png"));
  const auto result = run_shell("SHAPE_STUDIO_CACHE=" + shell_quoted(path("cache")) + " " + cli() +
                                " generate --image " + path("red_cube.png") + " --grid 48 -o " + path("cube.glb"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("the built-in demo model stands in"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("guidance 4, then none below sigma 3, as this model recommends"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("conditioned on three views of the picture"), std::string::npos) << result.output;
  const auto judged = training::classify_primitive(read_gltf(path("cube.glb")));
  EXPECT_EQ(training::primitive_name(judged.kind), "cube");
  EXPECT_EQ(training::primitive_colours()[static_cast<size_t>(judged.colour)].name, "red");
}

// --single-view conditions the demo image model on the picture alone (no note of three views), and
// is refused where there is no picture to view.
TEST_F(Cli, SingleViewConditionsOnThePictureAlone) {
  testing::write_photo_like_red_cube(path("red_cube.png"));
  const auto result = run_shell("SHAPE_STUDIO_CACHE=" + shell_quoted(path("cache")) + " " + cli() + " generate --image " +
                                path("red_cube.png") + " --single-view --grid 32 -o " + path("cube.glb"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output.find("three views"), std::string::npos) << result.output;
  EXPECT_TRUE(fs::exists(path("cube.glb")));
  const auto refused = run_shell(cli() + " evaluate-primitives --single-view --seeds 1");
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("--single-view goes with --image"), std::string::npos) << refused.output;
}

// An official file that is present but fails its checksum is named, with what to do about it, not
// lumped in with the missing ones.
TEST_F(Cli, AnOfficialFileWithTheWrongChecksumIsNamedWithWhatToDo) {
  fs::create_directories(path("weights"));
  std::ofstream(path("weights/text_cond.pt")) << "not the official file";
  const auto result = run_shell("SHAPE_STUDIO_CACHE=" + shell_quoted(path("cache")) + " " + cli() +
                                " generate --prompt 'a red cube' --steps 2 --grid 16 --weights-dir " + path("weights") +
                                " -o " + path("cube.glb"));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  for (const std::string& expected : std::vector<std::string>{"demo model stands in", "text_cond.pt is present at " + path("weights/text_cond.pt") + " but cannot be used: SHA-256 is ",
        "damaged or a different file: download it again",
        "or use it anyway with --config '", "text300M.yaml' --weights '" + path("weights/text_cond.pt") + "'"}) {
    EXPECT_NE(result.output.find(expected), std::string::npos) << expected << "\n" << result.output;
  }
}

TEST_F(Cli, OverlongPromptIsCutWithANote) {
  std::string prompt;
  for (int i = 0; i < 100; ++i) prompt += "word" + std::to_string(i) + " ";
  const auto result = run_shell(cli() + " generate --prompt " + shell_quoted(prompt) + " --steps 1 --grid 16 -o " +
                                path("long.glb") + golden_text_models());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("the rest was cut"), std::string::npos) << result.output;
}

TEST_F(Cli, CtrlCCancelsCleanlyAndWritesNothing) {
  // Many steps of the tiny model; interrupt once sampling is under way.
  const std::string command = cli() + " generate --prompt 'a chair' --steps 5000 -o " + path("never.glb") +
                              golden_text_models() + " 2> " + shell_quoted(path("err.txt")) + " & pid=$!; " +
                              "for i in $(seq 600); do grep -q 'step 3/' " + shell_quoted(path("err.txt")) +
                              " && break; sleep 0.1; done; kill -INT $pid; wait $pid; echo exit=$?";
  std::ofstream(path("interrupt.sh")) << command << "\n";
  const auto result = run_shell("bash " + shell_quoted(path("interrupt.sh")));
  EXPECT_NE(result.output.find("exit=130"), std::string::npos) << result.output;
  std::ifstream errors(path("err.txt"));
  const std::string stderr_text((std::istreambuf_iterator<char>(errors)), std::istreambuf_iterator<char>());
  EXPECT_NE(stderr_text.find("cancelled; nothing was written"), std::string::npos) << stderr_text;
  EXPECT_FALSE(fs::exists(path("never.glb")));
}


// A training run killed outright (SIGKILL, no chance to clean up) and resumed ends with the same
// weights, bit for bit, as a run that was never interrupted; a run folder is never overwritten.
TEST_F(Cli, KilledTrainingResumesExactly) {
  const std::string fixtures = std::string(SHAPE_TEST_FIXTURES_DIR) + "/training/";
  const std::string train = cli() + " train-encoder --config " + shell_quoted(fixtures + "tiny_transmitter.yaml") +
                            " --shapes 6 --batch 2 --query-points 64 --log-every 1 --checkpoint-every 2 --seed 3";
  ASSERT_EQ(run_shell(train + " --steps 1000 --out " + path("straight")).exit_code, 0);

  // Kill once a checkpoint is written, whatever the process is doing at that moment.
  const std::string kill_script = train + " --steps 1000 --out " + path("killed") + " 2> /dev/null & pid=$!; " +
                                  "for i in $(seq 600); do [ -f " + shell_quoted(path("killed/checkpoints/latest")) +
                                  " ] && break; sleep 0.05; done; kill -KILL $pid; wait $pid; echo exit=$?";
  std::ofstream(path("kill.sh")) << kill_script << "\n";
  EXPECT_NE(run_shell("bash " + shell_quoted(path("kill.sh"))).output.find("exit=137"), std::string::npos);
  EXPECT_FALSE(fs::exists(path("killed/transmitter.safetensors")));  // it did not finish

  const auto refused = run_shell(train + " --steps 1000 --out " + path("killed"));
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("--resume"), std::string::npos) << refused.output;

  const auto resumed = run_shell(train + " --steps 1000 --out " + path("killed") + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(read_text(path("killed/transmitter.safetensors")), read_text(path("straight/transmitter.safetensors")));
  EXPECT_TRUE(fs::exists(path("killed/loss.csv")));
}

// The stage-1 fine-tuning flags reach the trainer: a decoder-only run with error focus and kind
// weights keeps the encoder's weights, and refuses to start without weights to keep; kind weights
// are refused when malformed or given with a mesh folder.
TEST_F(Cli, DecoderOnlyFineTuningWithErrorFocus) {
  const std::string fixtures = std::string(SHAPE_TEST_FIXTURES_DIR) + "/training/";
  const std::string train = cli() + " train-encoder --config " + shell_quoted(fixtures + "tiny_transmitter.yaml") +
                            " --shapes 4 --batch 2 --query-points 64 --steps 3";
  ASSERT_EQ(run_shell(train + " --out " + path("base")).exit_code, 0);
  const auto tuned = run_shell(train + " --out " + path("tuned") + " --init-from " + path("base") +
                               " --decoder-only --focus-on-errors --kind-weights cube=3,sphere=0 --lr 0.01");
  ASSERT_EQ(tuned.exit_code, 0) << tuned.output;
  const StateDict base = load_checkpoint(path("base/transmitter.safetensors"));
  const StateDict after = load_checkpoint(path("tuned/transmitter.safetensors"));
  bool decoder_changed = false;
  for (const auto& key : base.keys()) {
    const bool trunk = key.rfind("encoder.", 0) == 0 && key.rfind("encoder.params_proj.", 0) != 0;
    if (trunk) EXPECT_TRUE(torch::equal(base.at(key), after.at(key))) << key;
    if (!trunk && !torch::equal(base.at(key), after.at(key))) decoder_changed = true;
  }
  EXPECT_TRUE(decoder_changed);

  const auto refused = run_shell(train + " --out " + path("unstarted") + " --decoder-only");
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("decoder-only training keeps a trained encoder"), std::string::npos) << refused.output;

  const auto malformed = run_shell(train + " --out " + path("malformed") + " --kind-weights box=2");
  EXPECT_EQ(malformed.exit_code, 2) << malformed.output;
  EXPECT_NE(malformed.output.find("--kind-weights: expected KIND=N"), std::string::npos) << malformed.output;
  fs::create_directories(path("meshes"));
  const auto with_meshes =
      run_shell(train + " --out " + path("with-meshes") + " --data " + path("meshes") + " --kind-weights cube=2");
  EXPECT_EQ(with_meshes.exit_code, 1) << with_meshes.output;
  EXPECT_NE(with_meshes.output.find("kind weights are for the procedural primitives"), std::string::npos)
      << with_meshes.output;
}

// The stage-2 caption matching flags reach the trainer: the warm-up reports its own progress, the
// loss curve gains the matching column, and a negative weight is refused, as is an unknown kind of
// noise levels. Two such runs average into a model folder.
TEST_F(Cli, TrainDiffusionWithCaptionMatching) {
  const std::string fixtures = std::string(SHAPE_TEST_FIXTURES_DIR) + "/training/";
  ASSERT_EQ(run_shell(cli() + " train-encoder --config " + shell_quoted(fixtures + "tiny_transmitter.yaml") +
                      " --shapes 4 --batch 2 --query-points 64 --steps 1 --out " + path("encoder"))
                .exit_code,
            0);
  const std::string train = cli() + " train-diffusion --encoder-run " + path("encoder") + " --config " +
                            shell_quoted(fixtures + "tiny_text_cond.yaml") + " --clip-config " +
                            shell_quoted(fixtures + "tiny_clip_text.json") +
                            " --shapes 4 --batch 2 --steps 2 --log-every 1";
  const auto matched =
      run_shell(train + " --text-warmup 3 --caption-matching 0.5 --noise-levels sampler --out " + path("matched"));
  ASSERT_EQ(matched.exit_code, 0) << matched.output;
  EXPECT_NE(matched.output.find("text tower warm-up: step 3/3"), std::string::npos) << matched.output;
  EXPECT_EQ(read_text(path("matched/loss.csv")).substr(0, 35), "step,seconds,loss,lr,matching loss\n");

  // Ctrl-C during the warm-up: no checkpoint exists yet, and the message says so.
  std::ofstream(path("interrupt.sh")) << train + " --text-warmup 5000 --out " + path("interrupted") + " 2> " +
                                             shell_quoted(path("err.txt")) + " & pid=$!; " +
                                             "for i in $(seq 600); do grep -q 'warm-up: step' " +
                                             shell_quoted(path("err.txt")) +
                                             " && break; sleep 0.1; done; kill -INT $pid; wait $pid; echo exit=$?\n";
  EXPECT_NE(run_shell("bash " + shell_quoted(path("interrupt.sh"))).output.find("exit=130"), std::string::npos);
  EXPECT_NE(read_text(path("err.txt")).find("stopped before the first step; nothing was kept"), std::string::npos)
      << read_text(path("err.txt"));
  EXPECT_FALSE(fs::exists(path("interrupted/checkpoints/latest")));

  const auto refused = run_shell(train + " --caption-matching -1 --out " + path("refused"));
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("caption matching weight must not be negative"), std::string::npos) << refused.output;
  const auto unknown = run_shell(train + " --noise-levels loud --out " + path("unknown"));
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
  EXPECT_NE(unknown.output.find("--noise-levels: expected 'uniform' or 'sampler', got 'loud'"), std::string::npos)
      << unknown.output;

  // average-models: the mean of two runs is a model folder; one run is not enough, and a folder that
  // is not a model (the stage-1 run) is named.
  ASSERT_EQ(run_shell(train + " --seed 1 --init-from " + path("matched") + " --out " + path("leg")).exit_code, 0);
  const auto averaged = run_shell(cli() + " average-models --out " + path("mean") + " " + path("matched") + " " +
                                  path("leg"));
  ASSERT_EQ(averaged.exit_code, 0) << averaged.output;
  EXPECT_NE(averaged.output.find("averaged 2 models"), std::string::npos) << averaged.output;
  EXPECT_NO_THROW(model_folder_files(path("mean")));
  const auto alone = run_shell(cli() + " average-models --out " + path("alone") + " " + path("matched"));
  EXPECT_EQ(alone.exit_code, 2) << alone.output;
  const auto not_a_model =
      run_shell(cli() + " average-models --out " + path("mixed") + " " + path("matched") + " " + path("encoder"));
  EXPECT_EQ(not_a_model.exit_code, 1) << not_a_model.output;
  EXPECT_NE(not_a_model.output.find(path("encoder") + " is not a model folder"), std::string::npos)
      << not_a_model.output;
}

// train-diffusion --image: the image model trains on rendered pictures of the primitives (cached,
// with their captions) through a jointly trained vision tower; its run folder generates from a
// picture and says it has no text model; evaluate-primitives --image judges it.
TEST_F(Cli, TrainDiffusionImageModel) {
  const std::string fixtures = std::string(SHAPE_TEST_FIXTURES_DIR) + "/training/";
  ASSERT_EQ(run_shell(cli() + " train-encoder --config " + shell_quoted(fixtures + "tiny_transmitter.yaml") +
                      " --shapes 4 --batch 2 --query-points 64 --steps 1 --out " + path("encoder"))
                .exit_code,
            0);
  const std::string train = cli() + " train-diffusion --image --encoder-run " + path("encoder") + " --config " +
                            shell_quoted(fixtures + "tiny_image_cond.yaml") + " --clip-config " +
                            shell_quoted(fixtures + "tiny_clip_vision.json") +
                            " --shapes 4 --views 2 --batch 2 --steps 2 --log-every 1";
  const auto trained = run_shell(train + " --text-warmup 2 --caption-matching 0.5 --image-cache " + path("pictures") +
                                 " --out " + path("image"));
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  EXPECT_NE(trained.output.find("training pictures: step 8/8"), std::string::npos) << trained.output;
  EXPECT_NE(trained.output.find("vision tower warm-up: step 2/2"), std::string::npos) << trained.output;
  EXPECT_TRUE(fs::exists(path("pictures/s000003-v1.png")));
  EXPECT_EQ(std::count_if(fs::directory_iterator(path("pictures")), fs::directory_iterator(),
                          [](const fs::directory_entry& e) { return e.path().extension() == ".png"; }),
            8);
  for (const char* file : {"image_cond.yaml", "image_cond.safetensors", "clip_vision.json", "clip_vision.safetensors",
                           "transmitter.safetensors"}) {
    EXPECT_TRUE(fs::exists(path("image/" + std::string(file)))) << file;
  }

  const auto generated = run_shell(cli() + " generate --model-dir " + path("image") + " --image " +
                                   path("pictures/s000000-v0.png") + " --steps 2 --grid 16 -o " + path("x.glb"));
  EXPECT_EQ(generated.exit_code, 0) << generated.output;
  const auto no_text = run_shell(cli() + " generate --model-dir " + path("image") + " --prompt 'a red cube' -o " +
                                 path("y.glb"));
  EXPECT_EQ(no_text.exit_code, 1) << no_text.output;
  EXPECT_NE(no_text.output.find("has no text model (it holds an image model only)"), std::string::npos)
      << no_text.output;

  const auto judged = run_shell(cli() + " evaluate-primitives --model-dir " + path("image") +
                                " --image photo-like --seeds 1 --first-seed 7 --every 11 --steps 2 --grid 16 --save " +
                                path("judged"));
  ASSERT_EQ(judged.exit_code, 0) << judged.output;
  EXPECT_NE(judged.output.find("over 1 samples"), std::string::npos) << judged.output;
  EXPECT_NE(judged.output.find(" seed 7 "), std::string::npos) << judged.output;  // --first-seed
  const auto is_input = [](const fs::directory_entry& e) {
    return e.path().string().find("-7-input.png") != std::string::npos;
  };
  EXPECT_EQ(std::count_if(fs::directory_iterator(path("judged")), fs::directory_iterator(), is_input), 1);
  const auto bad_style = run_shell(cli() + " evaluate-primitives --model-dir " + path("image") + " --image sketch");
  EXPECT_EQ(bad_style.exit_code, 2) << bad_style.output;
  EXPECT_NE(bad_style.output.find("--image: expected 'training' or 'photo-like', got 'sketch'"), std::string::npos)
      << bad_style.output;
  const auto blind = run_shell(train + " --colour-blind-words 2 --out " + path("blind"));
  EXPECT_EQ(blind.exit_code, 1) << blind.output;
  EXPECT_NE(blind.output.find("colour-blind words need caption words (--caption-words)"), std::string::npos)
      << blind.output;
  const auto with_meshes = run_shell(train + " --data " + path("pictures") + " --out " + path("meshes"));
  EXPECT_EQ(with_meshes.exit_code, 1) << with_meshes.output;
  EXPECT_NE(with_meshes.output.find("is an image-conditioned model"), std::string::npos) << with_meshes.output;
}

// bench projects the chosen sampler's time from the measured forward, and always both presets'.
TEST_F(Cli, BenchProjectsTheChosenSamplerAndThePresets) {
  const auto result = run_shell(cli() + " bench --only transformer --repeats 1 --precision fp32 --sampler euler --steps 5 --config " +
                                golden("e2e.text.transformer.yaml"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  for (const std::string expected : {"| projected sampling, euler, 5 steps (5 model evaluations) | ",
                                     "| projected sampling, heun, 64 steps (127 model evaluations) | ",
                                     "| projected sampling, dpm++2m, 16 steps (16 model evaluations) | "}) {
    EXPECT_NE(result.output.find(expected), std::string::npos) << expected << "\n" << result.output;
  }
  EXPECT_EQ(run_shell(cli() + " bench --sampler midpoint").exit_code, 2);
}

TEST_F(Cli, EveryCommandHasHelp) {
  for (const std::string command : {"help", "generate --help", "decode --help", "download --help", "train-encoder --help",
                                    "train-diffusion --help", "average-models --help", "evaluate-primitives --help"}) {
    const auto result = run_shell(cli() + " " + command);
    EXPECT_EQ(result.exit_code, 0) << command << "\n" << result.output;
    EXPECT_NE(result.output.find("usage: shape-cli"), std::string::npos) << command << "\n" << result.output;
  }
}

}  // namespace
}  // namespace shape
