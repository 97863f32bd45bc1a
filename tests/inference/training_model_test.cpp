// Stage-1 model pieces: the encoder config, the encoder trunk, the losses, and the safetensors
// writer that makes trained models loadable by the inference loader.
#include <gtest/gtest.h>

#include <torch/optim/adam.h>
#include <torch/torch.h>

#include "checkpoint_test_util.h"
#include "inference/checkpoint/checkpoint.h"
#include "inference/checkpoint/safetensors_writer.h"
#include "inference/config/config_error.h"
#include "inference/training/diffusion_trainer.h"
#include "inference/training/encoder_trainer.h"
#include "inference/training/primitives.h"
#include "inference/training/training_run.h"

namespace shape::training {
namespace {

using checkpoint_test::TempDir;

std::string tiny_transmitter() { return std::string(SHAPE_TEST_FIXTURES_DIR) + "/training/tiny_transmitter.yaml"; }

TEST(TrainingSafetensors, WrittenFilesLoadBackBitwise) {
  TempDir dir;
  torch::manual_seed(1);
  const NamedTensors tensors{{"encoder.a.weight", torch::randn({3, 5})},
                             {"renderer.b", torch::randn({7}).to(torch::kFloat16)},
                             {"c", torch::arange(6, torch::kLong).view({2, 3}).t()},  // not contiguous
                             {"scalar", torch::tensor(2.5)}};
  save_safetensors(dir.path() / "m.safetensors", tensors, {{"format", "pt"}});
  const StateDict loaded = load_checkpoint(dir.path() / "m.safetensors");
  ASSERT_EQ(loaded.size(), tensors.size());
  for (const auto& [name, tensor] : tensors) {
    EXPECT_EQ(loaded.at(name).scalar_type(), tensor.scalar_type()) << name;
    EXPECT_TRUE(torch::equal(loaded.at(name), tensor)) << name;
  }
}

TEST(TrainingSafetensors, RejectsDuplicateNamesAndUnsupportedTypes) {
  EXPECT_THROW(serialize_safetensors({{"a", torch::zeros({1})}, {"a", torch::zeros({1})}}), std::invalid_argument);
  EXPECT_THROW(serialize_safetensors({{"z", torch::zeros({1}, torch::kComplexFloat)}}), std::invalid_argument);
}

TEST(TrainingEncoderConfig, ReadsTheTrunkAndTheLatentShapeFromTheDecoder) {
  const auto config = load_encoder_config(tiny_transmitter());
  EXPECT_EQ(config.width, 16);
  EXPECT_EQ(config.layers, 2);
  EXPECT_EQ(config.processor_layers(), 1);
  EXPECT_EQ(config.data_ctx, 32);
  EXPECT_EQ(config.d_latent, 8);
  EXPECT_EQ(config.latent_ctx, 16 * 4);  // d_hidden rows of each of the 4 meta layers
  EXPECT_DOUBLE_EQ(config.noise_scale, 0.05);
}

TEST(TrainingEncoderConfig, RejectsWhatTrainingCannotDo) {
  const std::string base = checkpoint_test::read_file(tiny_transmitter());
  auto with = [&](const std::string& from, const std::string& to) {
    std::string text = base;
    text.replace(text.find(from), from.size(), to);
    return text;
  };
  EXPECT_THROW(parse_encoder_config(with("name: clamp_noise", "name: clamp_diffusion_noise"), "t.yaml"), ConfigError);
  EXPECT_THROW(parse_encoder_config(with("input_channels: 6", "input_channels: 3"), "t.yaml"), ConfigError);
  EXPECT_THROW(parse_encoder_config(with("heads: 2", "heads: 3"), "t.yaml"), ConfigError);
  try {
    parse_encoder_config(with("pos_emb: nerf", "pos_emb: nerf\n  use_pointconv: true"), "t.yaml");
    FAIL() << "pointconv accepted";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("use_pointconv"), std::string::npos) << error.what();
  }
}

TEST(TrainingEncoder, LatentHasTheDecoderShapeAndStaysInsideTheBottleneck) {
  torch::manual_seed(0);
  Transmitter model(tiny_transmitter());
  const auto points = torch::cat({torch::rand({3, 32, 3}) * 2 - 1, torch::rand({3, 32, 3})}, -1);
  const auto latent = model.encoder->forward(points);
  EXPECT_EQ(latent.sizes(), (std::vector<int64_t>{3, 64, 8}));
  EXPECT_LT(latent.abs().max().item<float>(), 1.0f);
  // The decoder accepts it as it accepts a sampled latent.
  const auto params = model.decoder->latent_to_params(latent);
  EXPECT_EQ(params.at("nerstf.mlp.0.weight").size(0), 3);
  // Points are a set: their order does not change the latent.
  const auto shuffled = points.index_select(1, torch::randperm(32));
  EXPECT_TRUE(torch::allclose(model.encoder->forward(shuffled), latent, 1e-5, 1e-5));
}

TEST(TrainingEncoder, TransmitterTensorsRoundTripUnderTheOfficialNames) {
  torch::manual_seed(0);
  Transmitter trained(tiny_transmitter());
  const auto tensors = trained.named_tensors();
  bool has_trunk = false, has_projection = false, has_mlp = false;
  for (const auto& [name, tensor] : tensors) {
    has_trunk |= name == "encoder.output_tokens";
    has_projection |= name.rfind("encoder.params_proj.projections.", 0) == 0;
    has_mlp |= name == "renderer.nerstf.mlp.6.weight";
  }
  EXPECT_TRUE(has_trunk && has_projection && has_mlp);

  TempDir dir;
  save_safetensors(dir.path() / "t.safetensors", tensors);
  torch::manual_seed(99);
  Transmitter loaded(tiny_transmitter());
  loaded.load(load_checkpoint(dir.path() / "t.safetensors"));
  const auto again = loaded.named_tensors();
  ASSERT_EQ(again.size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) EXPECT_TRUE(torch::equal(again[i].second, tensors[i].second)) << tensors[i].first;
}

// The first `shapes` of a procedural set as one batch: 32 surface points each, then `near`
// near-surface queries and `uniform` others.
EncoderBatch primitive_batch(int64_t shapes, int64_t near, int64_t uniform) {
  const auto dataset = make_primitive_dataset(shapes, 3);
  SampleOptions sampling;
  sampling.surface_points = 32;
  sampling.near_surface_points = near;
  sampling.uniform_points = uniform;
  std::vector<torch::Tensor> surface, points, sdf, colour;
  for (int64_t i = 0; i < shapes; ++i) {
    const ShapeSample sample = dataset->sample(i, 0, sampling);
    surface.push_back(sample.surface);
    points.push_back(sample.query_points);
    sdf.push_back(sample.query_sdf);
    colour.push_back(sample.query_colour);
  }
  return {torch::stack(surface), torch::stack(points), torch::stack(sdf), torch::stack(colour), near};
}

TEST(TrainingEncoder, LossesFallWhenFittingOneShape) {
  torch::manual_seed(0);
  Transmitter model(tiny_transmitter());
  const EncoderBatch batch = primitive_batch(1, 96, 32);
  torch::optim::Adam optimizer(model.parameters(), torch::optim::AdamOptions(3e-3));
  auto generator = step_generator(0, 0);
  const auto directions = [&] { return random_view_directions(1, batch.query_points.size(1), generator); };
  const double first = encoder_losses(*model.decoder, model.encoder->forward(batch.surface), batch, directions())
                           .total.item<double>();
  EncoderLosses losses;
  for (int step = 0; step < 60; ++step) {
    optimizer.zero_grad();
    losses = encoder_losses(*model.decoder, model.encoder->forward(batch.surface), batch, directions());
    losses.total.backward();
    optimizer.step();
  }
  EXPECT_LT(losses.total.item<double>(), 0.6 * first);
  EXPECT_LT(losses.colour.item<double>(), 0.15);  // a single flat colour is learnt fast
}

// Error focus keeps the first half of the near-surface queries it uses as drawn and takes the rest
// from the worst-fitted candidates; the uniform queries after them pass through unchanged.
TEST(TrainingEncoder, ErrorFocusKeepsTheWorstFittedCandidates) {
  torch::manual_seed(0);
  Transmitter model(tiny_transmitter());
  const EncoderBatch batch = primitive_batch(2, 64, 16);
  torch::NoGradGuard no_grad;
  const auto latent = model.encoder->forward(batch.surface);
  const int64_t near = 16;
  const EncoderBatch focused = focus_on_errors(*model.decoder, latent, batch, near);
  ASSERT_EQ(focused.near_surface, near);
  ASSERT_EQ(focused.query_points.size(1), near + 16);
  EXPECT_TRUE(torch::equal(focused.query_points.narrow(1, 0, near / 2), batch.query_points.narrow(1, 0, near / 2)));
  EXPECT_TRUE(torch::equal(focused.query_points.narrow(1, near, 16), batch.query_points.narrow(1, 64, 16)));
  EXPECT_TRUE(torch::equal(focused.query_colour.narrow(1, near, 16), batch.query_colour.narrow(1, 64, 16)));

  // The kept candidates' errors are the largest of the candidates' (the 56 after the first 8).
  auto& mlp = model.decoder->mlp();
  const auto params = model.decoder->latent_to_params(latent);
  const auto error = [&](const EncoderBatch& b, int64_t from, int64_t count) {
    const auto stf = mlp.activate(mlp.forward_raw(b.query_points.narrow(1, from, count), {}, params), NerfLevel::kFine,
                                  FieldMode::kStf);
    return (stf.signed_distance.squeeze(-1) - b.query_sdf.narrow(1, from, count).clamp(-0.5, 0.5)).abs();
  };
  const auto kept = error(focused, near / 2, near / 2);
  const auto candidates = error(batch, near / 2, 64 - near / 2);
  for (int64_t b = 0; b < 2; ++b) {
    const auto ranked = std::get<0>(candidates[b].sort(0, /*descending=*/true));
    EXPECT_TRUE(torch::allclose(std::get<0>(kept[b].sort(0, true)), ranked.narrow(0, 0, near / 2))) << b;
    EXPECT_TRUE(torch::equal(focused.query_sdf[b].narrow(0, near / 2, near / 2),
                             batch.query_sdf[b].index_select(0, std::get<1>(candidates[b].topk(near / 2)) + near / 2)));
  }
  EXPECT_THROW(focus_on_errors(*model.decoder, latent, batch, 64), std::invalid_argument);
}

// Stage 2's noise levels: uniform timesteps put 6% of the training below sigma 1 (shap-e's exp
// schedule); the sampler's spacing puts 37% there, 21% below the schedule's smallest sigma (timestep
// 0, the one the sampler uses there), as in the 64-step Karras table itself. Draws are reproducible.
TEST(TrainingDiffusion, SamplerNoiseLevelsFollowTheKarrasSpacing) {
  DiffusionConfig config;
  const GaussianDiffusion diffusion(config);
  const auto share = [](const torch::Tensor& mask) { return mask.to(torch::kFloat64).mean().item<double>(); };
  // sigma < 1 at timestep t: alpha_bar > 1/2.
  const auto alphas = torch::tensor(diffusion.alphas_cumprod(), torch::kFloat64);
  const auto below_sigma_one = [&](const torch::Tensor& t) { return alphas.index_select(0, t) > 0.5; };

  auto generator = step_generator(0, 0);
  const auto uniform = draw_training_timesteps(diffusion, 20000, false, generator);
  EXPECT_NEAR(share(below_sigma_one(uniform)), 0.058, 0.01);
  EXPECT_GE(uniform.min().item<int64_t>(), 0);
  EXPECT_LT(uniform.max().item<int64_t>(), diffusion.num_timesteps());

  const auto sampler = draw_training_timesteps(diffusion, 20000, true, generator);
  EXPECT_NEAR(share(below_sigma_one(sampler)), 0.37, 0.02);
  EXPECT_NEAR(share(sampler == 0), 0.23, 0.02);  // sigma < sigma(t = 1): truncated to 0, as the sampler does
  EXPECT_GE(sampler.min().item<int64_t>(), 0);
  EXPECT_LT(sampler.max().item<int64_t>(), diffusion.num_timesteps());

  auto again = step_generator(0, 0);
  draw_training_timesteps(diffusion, 20000, false, again);
  EXPECT_TRUE(torch::equal(draw_training_timesteps(diffusion, 20000, true, again), sampler));
}

}  // namespace
}  // namespace shape::training
