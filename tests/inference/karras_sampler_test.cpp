// Parity of the Gaussian diffusion schedule and the Karras/Heun sampler with the official code
// (golden karras_text, seed_noise), plus cancellation, callbacks and the churn path.
#include <atomic>
#include <iomanip>

#include "golden_models.h"
#include "inference/diffusion/karras_sampler.h"

namespace shape {
namespace {

using testing::all_close;
using testing::exactly_equal;

GaussianDiffusion shipped_diffusion() {
  return GaussianDiffusion(load_diffusion_config(std::string(SHAPE_RESOURCES_DIR) + "/configs/diffusion.yaml"));
}

KarrasSamplerOptions golden_options() {
  KarrasSamplerOptions options;  // karras_text.json: steps 8, sigma 1e-3..160, rho 7, guidance 15
  options.steps = 8;
  return options;
}

TEST(KarrasSchedule, SigmaTablesMatchOfficialExactly) {
  const auto golden = testing::load_golden("karras_text");
  EXPECT_TRUE(exactly_equal(karras_sigmas(8, 1e-3, 160.0, 7.0), golden.at("sigmas")));
  EXPECT_TRUE(exactly_equal(karras_sigmas(64, 1e-3, 160.0, 7.0), golden.at("sigmas_64")));
}

TEST(GaussianDiffusion, ExpScheduleMatchesOfficial) {
  const auto golden = testing::load_golden("karras_text");
  const auto diffusion = shipped_diffusion();
  ASSERT_EQ(diffusion.num_timesteps(), 1024);
  EXPECT_TRUE(all_close(torch::tensor(diffusion.betas(), torch::kFloat64), golden.at("betas"), 0.0, 1e-13));
  EXPECT_TRUE(all_close(torch::tensor(diffusion.alphas_cumprod(), torch::kFloat64), golden.at("alphas_cumprod"),
                        0.0, 1e-13));
}

void expect_timesteps_match(const torch::Tensor& sigmas, const torch::Tensor& t_float, const torch::Tensor& t_long) {
  const auto diffusion = shipped_diffusion();
  for (int64_t i = 0; i < t_float.size(0); ++i) {
    const double t = diffusion.sigma_to_t(sigmas[i].item<float>());
    EXPECT_EQ(t, t_float[i].item<double>()) << std::setprecision(17) << "sigma " << sigmas[i].item<float>();
    EXPECT_EQ(static_cast<int64_t>(t), t_long[i].item<int64_t>()) << "sigma " << sigmas[i].item<float>();
  }
}

TEST(GaussianDiffusion, SigmaToTimestepMatchesOfficialExactly) {
  const auto golden = testing::load_golden("karras_text");
  expect_timesteps_match(golden.at("sigmas"), golden.at("t_float"), golden.at("t_long"));
  expect_timesteps_match(golden.at("sigmas_64"), golden.at("t_float_64"), golden.at("t_long_64"));
}

TEST(KarrasSampler, TextSamplingMatchesOfficialAtEveryStep) {
  auto model = testing::golden_text_transformer();
  const auto golden = testing::load_golden("karras_text");
  const auto diffusion = shipped_diffusion();
  const auto options = golden_options();
  std::vector<SamplerProgress> yields;
  auto denoiser = make_guided_denoiser(model, diffusion, golden.at("cond_embedding"), options);
  auto sample = sample_heun(denoiser, golden.at("x_T"), options, make_seeded_generator(0),
                            [&](const SamplerProgress& progress) { yields.push_back(progress); });

  ASSERT_EQ(yields.size(), 9u);
  const auto& steps_x = golden.at("steps.x");
  const auto& steps_pred = golden.at("steps.pred_xstart");
  for (int64_t i = 0; i < 9; ++i) {
    SCOPED_TRACE("step " + std::to_string(i));
    EXPECT_EQ(yields[i].step, i);
    EXPECT_EQ(yields[i].total_steps, 8);
    if (i < 8) EXPECT_FLOAT_EQ(yields[i].sigma, golden.at("sigma_hat")[i].item<float>());
    // README bound 1e-3 * max|ref_step| + 1e-4, but never tighter than the reference's own float32 vs
    // float64 spread (steps.x 1.15e-2): guidance 15 amplifies rounding chaotically in the late steps.
    const double max_ref = steps_x[i].abs().max().item<double>();
    EXPECT_TRUE(all_close(yields[i].x, steps_x[i], std::max(1e-3 * max_ref + 1e-4, 1.5e-2), 0.0));
    EXPECT_TRUE(all_close(yields[i].pred_xstart, steps_pred[i], 1e-2, 0.0));
  }
  EXPECT_TRUE(all_close(sample, golden.at("sample"), 2e-3, 0.0));
}

TEST(KarrasSampler, GuidanceMixesConditionalAndUnconditionalPredictions) {
  torch::NoGradGuard no_grad;
  auto model = testing::golden_text_transformer();
  const auto golden = testing::load_golden("karras_text");
  const auto diffusion = shipped_diffusion();
  auto options = golden_options();
  const auto condition = golden.at("cond_embedding");
  const auto x = golden.at("x_T") / 4;
  auto guided = make_guided_denoiser(model, diffusion, condition, options)(x, 40.0f);
  options.guidance_scale = 1.0;
  auto conditional = make_guided_denoiser(model, diffusion, condition, options)(x, 40.0f);
  auto unconditional = make_guided_denoiser(model, diffusion, torch::zeros_like(condition), options)(x, 40.0f);
  EXPECT_TRUE(all_close(guided, unconditional + 15.0 * (conditional - unconditional), 1e-4, 1e-5));
}

TEST(KarrasSampler, SeededNoiseMatchesOfficialCpuGeneratorBitwise) {
  const auto golden = testing::load_golden("seed_noise");
  for (uint64_t seed : {0ull, 1ull, 42ull, 12345ull}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const std::string prefix = "seed" + std::to_string(seed) + ".";
    auto small_generator = make_seeded_generator(seed);
    EXPECT_TRUE(exactly_equal(initial_noise(1, 8192, 1.0, small_generator, torch::kCPU),
                              golden.at(prefix + "randn_1x8192")));
    auto generator = make_seeded_generator(seed);
    auto big = initial_noise(1, 1048576, 1.0, generator, torch::kCPU).flatten();
    EXPECT_TRUE(exactly_equal(big.slice(0, 0, 64), golden.at(prefix + "randn_1x1048576.first64")));
    EXPECT_TRUE(exactly_equal(big.slice(0, -64), golden.at(prefix + "randn_1x1048576.last64")));
    auto big64 = big.to(torch::kFloat64);
    EXPECT_TRUE(all_close(torch::stack({big64.sum(), big64.pow(2).sum()}),
                          golden.at(prefix + "randn_1x1048576.sum_sumsq"), 0.0, 1e-12));
  }
}

TEST(KarrasSampler, CancelStopsBeforeTheNextModelEvaluation) {
  std::atomic<bool> cancel{false};
  int evaluations = 0;
  Denoiser denoiser = [&](const torch::Tensor& x, float) {
    ++evaluations;
    return torch::zeros_like(x);
  };
  int callbacks = 0;
  auto options = golden_options();
  EXPECT_THROW(sample_heun(denoiser, torch::ones({1, 4}) * 160, options, make_seeded_generator(0),
                           [&](const SamplerProgress& progress) {
                             ++callbacks;
                             if (progress.step == 2) cancel = true;
                           },
                           &cancel),
               GenerationCancelled);
  EXPECT_EQ(callbacks, 3);
  EXPECT_EQ(evaluations, 5);  // two per step for steps 0 and 1, the first of step 2, then it stops
}

TEST(KarrasSampler, AlreadyCancelledRunsNoModel) {
  std::atomic<bool> cancel{true};
  int evaluations = 0;
  Denoiser denoiser = [&](const torch::Tensor& x, float) {
    ++evaluations;
    return x;
  };
  EXPECT_THROW(sample_heun(denoiser, torch::ones({1, 4}), golden_options(), make_seeded_generator(0), nullptr, &cancel),
               GenerationCancelled);
  EXPECT_EQ(evaluations, 0);
}

TEST(KarrasSampler, RejectsInvalidOptions) {
  Denoiser denoiser = [](const torch::Tensor& x, float) { return x; };
  auto options = golden_options();
  options.steps = 0;
  EXPECT_THROW(sample_heun(denoiser, torch::ones({1, 4}), options, make_seeded_generator(0)), std::invalid_argument);
  options = golden_options();
  options.sigma_min = 200;
  EXPECT_THROW(sample_heun(denoiser, torch::ones({1, 4}), options, make_seeded_generator(0)), std::invalid_argument);
}

// Karras et al. Algorithm 2 written out directly, with a denoiser that predicts 0: each step first
// raises the noise level to sigma_hat = sigma (1 + gamma) by adding fresh noise, then takes a Heun step.
TEST(KarrasSampler, ChurnFollowsAlgorithm2) {
  Denoiser zero = [](const torch::Tensor& x, float) { return torch::zeros_like(x); };
  auto options = golden_options();
  options.steps = 4;
  options.s_churn = 2.0;  // gamma = min(2 / 4, sqrt(2) - 1) = sqrt(2) - 1
  options.s_tmin = 1.0;   // the last steps (sigma < 1) run without churn
  const auto x_T = torch::full({1, 6}, 160.0f);
  auto run = [&](uint64_t seed) {
    std::vector<torch::Tensor> states;  // x after the churn of each step, as the callback sees it
    sample_heun(zero, x_T, options, make_seeded_generator(seed),
                [&](const SamplerProgress& progress) { states.push_back(progress.x); });
    states.pop_back();  // the final sample is 0 with a zero denoiser
    return torch::cat(states);
  };
  const auto states = run(7);

  auto generator = make_seeded_generator(7);
  const auto sigmas = karras_sigmas(4, options.sigma_min, options.sigma_max, options.rho);
  auto x = x_T.to(torch::kFloat64);
  std::vector<torch::Tensor> expected;
  for (int64_t i = 0; i < 4; ++i) {
    const double sigma = sigmas[i].item<double>(), next = sigmas[i + 1].item<double>();
    const double gamma = sigma >= 1.0 ? std::sqrt(2.0) - 1.0 : 0.0;
    const double sigma_hat = sigma * (1 + gamma);
    auto eps = torch::randn({1, 6}, generator, torch::kFloat32).to(torch::kFloat64);
    if (gamma > 0) x = x + eps * std::sqrt(sigma_hat * sigma_hat - sigma * sigma);
    expected.push_back(x);
    // With a zero denoiser d = x / sigma_hat, and both Euler and Heun steps scale x by next / sigma_hat.
    x = x * (next / sigma_hat);
  }
  EXPECT_TRUE(all_close(states, torch::cat(expected), 1e-4, 1e-4));
  EXPECT_FALSE(torch::allclose(states, run(8)));  // another seed, other churn noise
}

TEST(KarrasSampler, SampleLatentsDrawsSeededNoiseAndIsDeterministic) {
  auto model = testing::golden_text_transformer();
  const auto golden = testing::load_golden("karras_text");
  auto options = golden_options();
  options.steps = 2;
  std::vector<torch::Tensor> first_x;
  auto a = sample_latents(model, shipped_diffusion(), golden.at("cond_embedding"), 42, options,
                          [&](const SamplerProgress& p) { first_x.push_back(p.x); });
  auto b = sample_latents(model, shipped_diffusion(), golden.at("cond_embedding"), 42, options);
  EXPECT_TRUE(torch::equal(a, b));
  const auto seed_noise = testing::load_golden("seed_noise");
  EXPECT_TRUE(exactly_equal(first_x.front(), seed_noise.at("seed42.randn_1x8192") * 160.0));
}

}  // namespace
}  // namespace shape
