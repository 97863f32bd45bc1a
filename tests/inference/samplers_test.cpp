// Parity of every sampler with k-diffusion's own samplers driving the official shap-e guided denoiser
// (golden samplers.*), plus their order of accuracy, evaluation counts, cancellation and bad options.
#include <atomic>
#include <cmath>

#include "golden_models.h"
#include "inference/diffusion/karras_sampler.h"

namespace shape {
namespace {

using testing::all_close;
using testing::exactly_equal;

constexpr const char* kCases[] = {"dpmpp_2m.8", "dpmpp_2m.16", "euler.8", "dpmpp_3m.12", "heun.8"};

// samplers.json's names for our kinds.
SamplerKind golden_sampler(const std::string& name) {
  if (name == "dpmpp_2m") return SamplerKind::kDpmpp2m;
  if (name == "dpmpp_3m") return SamplerKind::kDpmpp3m;
  return parse_sampler_kind(name);  // euler, heun
}

KarrasSamplerOptions golden_options(const std::string& test_case) {
  const auto dot = test_case.find('.');
  KarrasSamplerOptions options;  // samplers.json: sigma 1e-3..160, rho 7, guidance 15, clip_denoised
  options.sampler = golden_sampler(test_case.substr(0, dot));
  options.steps = std::stoll(test_case.substr(dot + 1));
  return options;
}

// The e2e text model with the weights file of the samplers case (the same values as e2e_text's).
SplitVectorDiffusion samplers_transformer() {
  SplitVectorDiffusion model(load_diffusion_transformer_config(testing::golden_path("e2e.text.transformer.yaml")));
  bind_weights(*model, load_checkpoint(testing::golden_path("samplers.transformer.state_dict.pt")));
  model->eval();
  return model;
}

GaussianDiffusion golden_diffusion() {
  return GaussianDiffusion(load_diffusion_config(testing::golden_path("e2e.diffusion.yaml")));
}

class SamplerParity : public ::testing::TestWithParam<const char*> {};

TEST_P(SamplerParity, MatchesKDiffusionAtEveryStep) {
  const std::string name = GetParam();
  const auto golden = testing::load_golden("samplers");
  const auto model = samplers_transformer();
  const auto diffusion = golden_diffusion();
  const auto options = golden_options(name);
  EXPECT_TRUE(exactly_equal(karras_sigmas(options.steps, options.sigma_min, options.sigma_max, options.rho),
                            golden.at(name + ".sigmas")));

  const auto condition = golden.at("model_kwargs.embeddings").slice(0, 0, 2);  // [cond, zeros]: the cond half
  auto denoiser = make_guided_denoiser(model, diffusion, condition, options);
  int64_t evaluations = 0;
  Denoiser counted = [&](const torch::Tensor& x, float sigma) {
    ++evaluations;
    return denoiser(x, sigma);
  };
  std::vector<SamplerProgress> reports;
  const auto result = sample(counted, golden.at("x_T"), options, make_seeded_generator(0),
                             [&](const SamplerProgress& progress) { reports.push_back(progress); });

  const int64_t expected_evaluations = options.sampler == SamplerKind::kHeun ? 2 * options.steps - 1 : options.steps;
  EXPECT_EQ(evaluations, expected_evaluations);  // samplers.json: model_evaluations
  ASSERT_EQ(static_cast<int64_t>(reports.size()), options.steps + 1);
  EXPECT_EQ(reports.back().evaluations, expected_evaluations);
  EXPECT_EQ(reports.back().total_evaluations, expected_evaluations);
  const auto& steps_x = golden.at(name + ".steps.x");
  const auto& steps_denoised = golden.at(name + ".steps.denoised");
  for (int64_t i = 0; i < options.steps; ++i) {
    SCOPED_TRACE(name + " step " + std::to_string(i));
    EXPECT_EQ(reports[i].step, i);
    EXPECT_FLOAT_EQ(reports[i].sigma, golden.at(name + ".sigmas")[i].item<float>());
    // README bound 1e-3 * max|ref_step| + 1e-4, with two floors. Heun: its reference moves 4e-2 between
    // float32 and float64 (samplers.json f32_vs_f64), as karras_text's does, so karras_sampler_test's
    // 1.5e-2. 3M: measured 3.1e-3 and 8.0e-3 at its steps 9 and 11 (max|x| 3.0 and 6.9: bounds 3.1e-3
    // and 7.0e-3); its curvature term divides differences of three predictions by lambda steps, and
    // guidance 15 amplifies the float32 rounding that feeds them (the reference itself moves 4.2e-3
    // between float32 and float64). Its floor is the denoised bound, 1e-2: late x lies within one step
    // of the denoised prediction and inherits its error. 2M: 4.0e-3 at step 15 of 16 (max|x| 2.1) with
    // OpenBLAS's AVX2 kernels, likewise a step from the end; its floor is the sample's bound, 5e-3.
    const double max_ref = steps_x[i].abs().max().item<double>();
    const double floor = options.sampler == SamplerKind::kHeun      ? 1.5e-2
                         : options.sampler == SamplerKind::kDpmpp3m ? 1e-2
                         : options.sampler == SamplerKind::kDpmpp2m ? 5e-3
                                                                     : 0.0;
    EXPECT_TRUE(all_close(reports[i].x, steps_x[i], std::max(1e-3 * max_ref + 1e-4, floor), 0.0));
    EXPECT_TRUE(all_close(reports[i].pred_xstart, steps_denoised[i], 1e-2, 0.0));
  }
  EXPECT_EQ(reports.back().step, options.steps);
  EXPECT_TRUE(torch::equal(reports.back().x, result));
  EXPECT_TRUE(all_close(result, golden.at(name + ".sample"), 5e-3, 0.0));
}

INSTANTIATE_TEST_SUITE_P(Golden, SamplerParity, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

// The golden x_T is torch.manual_seed(4242); randn(2, 4096) * 160: our seeded draw, so the CLI's
// --seed 4242 starts from it too.
TEST(Samplers, GoldenStartingNoiseIsTheSeededDraw) {
  auto generator = make_seeded_generator(4242);
  EXPECT_TRUE(exactly_equal(initial_noise(2, 4096, 160.0, generator, torch::kCPU),
                            testing::load_golden("samplers").at("x_T")));
}

// A denoiser that predicts 0 and counts its calls.
Denoiser counted_zero(int64_t& evaluations) {
  return [&evaluations](const torch::Tensor& x, float) {
    ++evaluations;
    return torch::zeros_like(x);
  };
}

KarrasSamplerOptions options_for(SamplerKind kind, int64_t steps) {
  KarrasSamplerOptions options;
  options.sampler = kind;
  options.steps = steps;
  return options;
}

// Data ~ N(0, s^2) has the exact denoiser D(x, sigma) = x s^2 / (s^2 + sigma^2), and the ODE carries
// x_T to x_T s / sqrt(s^2 + sigma_max^2). Doubling the steps divides Euler's error by about 2 and the
// second-order methods' by about 4; the third-order one is well ahead of them.
TEST(Samplers, ConvergeAtTheirOrderOnGaussianData) {
  const double s = 0.5;
  Denoiser exact = [s](const torch::Tensor& x, float sigma) {
    return x * (s * s / (s * s + static_cast<double>(sigma) * sigma));
  };
  auto error = [&](SamplerKind kind, int64_t steps) {
    const auto x_T = torch::full({1, 1}, 160.0, torch::kFloat64);
    const auto x_0 = sample(exact, x_T, options_for(kind, steps), make_seeded_generator(0));
    return std::abs(x_0.item<double>() - 160.0 * s / std::sqrt(s * s + 160.0 * 160.0));
  };
  EXPECT_GT(error(SamplerKind::kEuler, 32) / error(SamplerKind::kEuler, 64), 1.8);
  for (const auto kind : {SamplerKind::kHeun, SamplerKind::kDpmpp2m}) {
    SCOPED_TRACE(sampler_name(kind));
    EXPECT_GT(error(kind, 32) / error(kind, 64), 3.5);
  }
  EXPECT_LT(error(SamplerKind::kDpmpp3m, 32), error(SamplerKind::kDpmpp2m, 32) / 10);
  for (const auto kind : all_sampler_kinds()) EXPECT_LT(error(kind, 64), 3e-2) << sampler_name(kind);
}

TEST(Samplers, ReportEveryModelEvaluation) {
  for (const auto kind : all_sampler_kinds()) {
    SCOPED_TRACE(sampler_name(kind));
    int64_t evaluations = 0;
    const auto zero = counted_zero(evaluations);
    const auto options = options_for(kind, 5);
    std::vector<SamplerProgress> reports;
    sample(zero, torch::ones({1, 4}) * 160, options, make_seeded_generator(0),
           [&](const SamplerProgress& progress) { reports.push_back(progress); });
    EXPECT_EQ(evaluations, model_evaluations(kind, 5));
    ASSERT_EQ(reports.size(), 6u);
    // Each report follows its step's first evaluation; Heun's steps cost two, its last one.
    for (int64_t i = 0; i < 5; ++i) {
      EXPECT_EQ(reports[i].evaluations, kind == SamplerKind::kHeun ? 2 * i + 1 : i + 1) << "step " << i;
      EXPECT_EQ(reports[i].total_evaluations, evaluations);
    }
    EXPECT_EQ(reports.back().evaluations, evaluations);
    EXPECT_EQ(reports.back().sigma, 0.0);
  }
  EXPECT_EQ(model_evaluations(SamplerKind::kHeun, 64), 127);
  EXPECT_EQ(model_evaluations(SamplerKind::kDpmpp2m, 16), 16);
}

TEST(Samplers, CancelStopsBeforeTheNextModelEvaluation) {
  for (const auto kind : all_sampler_kinds()) {
    SCOPED_TRACE(sampler_name(kind));
    std::atomic<bool> cancel{false};
    int64_t evaluations = 0;
    const auto zero = counted_zero(evaluations);
    const auto options = options_for(kind, 8);
    EXPECT_THROW(sample(zero, torch::ones({1, 4}) * 160, options, make_seeded_generator(0),
                        [&](const SamplerProgress& progress) {
                          if (progress.step == 2) cancel = true;
                        },
                        &cancel),
                 GenerationCancelled);
    // Cancelled in step 2's report, after its first evaluation: nothing more runs.
    EXPECT_EQ(evaluations, kind == SamplerKind::kHeun ? 5 : 3);

    cancel = true;
    evaluations = 0;
    EXPECT_THROW(sample(zero, torch::ones({1, 4}), options, make_seeded_generator(0), nullptr, &cancel),
                 GenerationCancelled);
    EXPECT_EQ(evaluations, 0);
  }
}

TEST(Samplers, NamesRoundTripAndUnknownOnesListTheChoices) {
  for (const auto kind : all_sampler_kinds()) EXPECT_EQ(parse_sampler_kind(sampler_name(kind)), kind);
  for (const auto preset : all_sampler_presets()) EXPECT_EQ(parse_sampler_preset(preset_name(preset)), preset);
  try {
    parse_sampler_kind("dpm2m");
    ADD_FAILURE() << "accepted an unknown sampler";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "unknown sampler 'dpm2m' (choose heun, dpm++2m, dpm++3m or euler)");
  }
  try {
    parse_sampler_preset("quick");
    ADD_FAILURE() << "accepted an unknown preset";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "unknown sampler preset 'quick' (choose official or fast)");
  }
  EXPECT_EQ(preset_choice(SamplerPreset::kOfficial), (SamplerChoice{SamplerKind::kHeun, 64}));
  EXPECT_EQ(describe({SamplerKind::kHeun, 64}), "heun, 64 steps (127 model evaluations)");
}

// The guidance taming options (off in the official sampler), at one evaluation of the golden model.
TEST(Samplers, GuidanceTamingOptionsDoWhatTheySay) {
  torch::NoGradGuard no_grad;
  const auto model = samplers_transformer();
  const auto diffusion = golden_diffusion();
  const auto golden = testing::load_golden("samplers");
  const auto condition = golden.at("model_kwargs.embeddings").slice(0, 0, 2);
  const auto x = golden.at("x_T") / 16;
  KarrasSamplerOptions options;  // guidance 15
  const auto guided = make_guided_denoiser(model, diffusion, condition, options)(x, 10.0f);
  auto conditional_options = options;
  conditional_options.guidance_scale = 1.0;
  const auto conditional = make_guided_denoiser(model, diffusion, condition, conditional_options)(x, 10.0f);

  // Outside the interval the conditional prediction alone, inside it the guided one.
  auto interval = options;
  interval.guidance_sigma_low = 20.0;
  interval.guidance_sigma_high = 100.0;
  EXPECT_TRUE(torch::equal(make_guided_denoiser(model, diffusion, condition, interval)(x, 10.0f), conditional));
  interval.guidance_sigma_low = 5.0;
  EXPECT_TRUE(torch::equal(make_guided_denoiser(model, diffusion, condition, interval)(x, 10.0f), guided));
  // Outside it, guidance_scale_outside when that is set: here the same guided prediction, the scales
  // swapped; and none at all where both scales are 1.
  auto swapped = interval;
  swapped.guidance_sigma_low = 20.0;
  swapped.guidance_scale = 1.0;
  swapped.guidance_scale_outside = 15.0;
  EXPECT_TRUE(torch::equal(make_guided_denoiser(model, diffusion, condition, swapped)(x, 10.0f), guided));
  swapped.guidance_scale_outside = 1.0;
  EXPECT_TRUE(torch::equal(make_guided_denoiser(model, diffusion, condition, swapped)(x, 10.0f), conditional));

  // Full rescaling gives each sample the conditional prediction's spread, in the guided direction.
  auto rescale = options;
  rescale.guidance_rescale = 1.0;
  const auto rescaled = make_guided_denoiser(model, diffusion, condition, rescale)(x, 10.0f);
  EXPECT_TRUE(all_close(rescaled.std(1), conditional.std(1), 0.0, 1e-5));
  EXPECT_TRUE(all_close(rescaled, guided * (conditional.std(1, true, true) / guided.std(1, true, true)), 1e-6, 1e-5));

  // Dynamic thresholding at the 99th percentile (above 1 here): within [-1, 1], 1 % of each sample at
  // the bound. (Lower percentiles are 1 exactly, where both clamped halves agree on a bound.)
  auto threshold = options;
  threshold.guidance_threshold = 99.0;
  const auto thresholded = make_guided_denoiser(model, diffusion, condition, threshold)(x, 10.0f);
  ASSERT_TRUE((torch::quantile(guided.abs(), 0.99, 1) > 1.0).all().item<bool>());
  EXPECT_LE(thresholded.abs().max().item<double>(), 1.0);
  const auto at_bound = (thresholded.abs() > 1.0 - 1e-6).to(torch::kFloat64).mean(1);
  EXPECT_TRUE(all_close(at_bound, torch::full({2}, 0.01, torch::kFloat64), 1e-3, 0.0));
}

TEST(Samplers, RejectsBadOptions) {
  Denoiser identity = [](const torch::Tensor& x, float) { return x; };
  KarrasSamplerOptions options;
  options.steps = 4;
  options.s_churn = 1.0;
  options.sampler = SamplerKind::kDpmpp2m;
  try {
    sample(identity, torch::ones({1, 4}), options, make_seeded_generator(0));
    ADD_FAILURE() << "accepted churn with dpm++2m";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("heun sampler only, not dpm++2m"), std::string::npos) << error.what();
  }
  options.sampler = SamplerKind::kEuler;
  options.steps = 0;
  EXPECT_THROW(sample(identity, torch::ones({1, 4}), options, make_seeded_generator(0)), std::invalid_argument);

  const auto model = samplers_transformer();
  const auto condition = torch::zeros({1, 768});
  KarrasSamplerOptions bad;
  bad.guidance_sigma_low = 10.0;
  bad.guidance_sigma_high = 1.0;
  EXPECT_THROW(make_guided_denoiser(model, golden_diffusion(), condition, bad), std::invalid_argument);
  bad = KarrasSamplerOptions{};
  bad.guidance_rescale = 1.5;
  EXPECT_THROW(make_guided_denoiser(model, golden_diffusion(), condition, bad), std::invalid_argument);
  bad = KarrasSamplerOptions{};
  bad.guidance_threshold = 101.0;
  EXPECT_THROW(make_guided_denoiser(model, golden_diffusion(), condition, bad), std::invalid_argument);
  bad = KarrasSamplerOptions{};
  bad.guidance_scale_outside = -1.0;
  EXPECT_THROW(make_guided_denoiser(model, golden_diffusion(), condition, bad), std::invalid_argument);
}

}  // namespace
}  // namespace shape
