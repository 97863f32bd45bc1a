#include "inference/diffusion/karras_sampler.h"

#include <ATen/CPUGeneratorImpl.h>
#include <cmath>
#include <vector>
#include <torch/torch.h>

namespace shape {
namespace {

void validate(const KarrasSamplerOptions& options) {
  if (options.steps < 1) throw std::invalid_argument("sampler steps must be at least 1");
  if (!(options.sigma_min > 0.0) || !(options.sigma_max > options.sigma_min)) {
    throw std::invalid_argument("sampler needs 0 < sigma_min < sigma_max");
  }
  if (!(options.rho > 0.0)) throw std::invalid_argument("sampler rho must be positive");
  if (options.s_churn < 0.0 || options.s_noise < 0.0) {
    throw std::invalid_argument("sampler s_churn and s_noise must not be negative");
  }
}

void validate_guidance(const KarrasSamplerOptions& options) {
  if (!(options.guidance_sigma_low >= 0.0) || !(options.guidance_sigma_low <= options.guidance_sigma_high)) {
    throw std::invalid_argument("guidance interval needs 0 <= guidance_sigma_low <= guidance_sigma_high");
  }
  if (!(options.guidance_scale_outside >= 0.0 && options.guidance_scale_outside <= 100.0)) {
    throw std::invalid_argument("guidance_scale_outside must lie in 0..100");
  }
  if (!(options.guidance_rescale >= 0.0 && options.guidance_rescale <= 1.0)) {
    throw std::invalid_argument("guidance_rescale must lie in 0..1");
  }
  if (!(options.guidance_threshold >= 0.0 && options.guidance_threshold <= 100.0)) {
    throw std::invalid_argument("guidance_threshold is a percentile, 0..100 (0: off)");
  }
}

void throw_if_cancelled(const std::atomic<bool>* cancel) {
  if (cancel && cancel->load(std::memory_order_relaxed)) throw GenerationCancelled();
}

// What every method does around the model: the cancellation check before each evaluation, the
// evaluation count, and the reports.
class ModelCalls {
 public:
  ModelCalls(const Denoiser& denoiser, SamplerKind kind, int64_t steps, const SamplerCallback& on_step,
             const std::atomic<bool>* cancel)
      : denoiser_(denoiser),
        steps_(steps),
        total_(model_evaluations(kind, steps)),
        on_step_(on_step),
        cancel_(cancel) {}

  torch::Tensor denoise(const torch::Tensor& x, float sigma) {
    throw_if_cancelled(cancel_);
    ++evaluations_;
    return denoiser_(x, sigma);
  }

  void report(int64_t step, double sigma, const torch::Tensor& x, const torch::Tensor& denoised) const {
    if (on_step_) on_step_({step, steps_, sigma, x, denoised, evaluations_, total_});
  }

  // Reports the sample (sigma 0, with the last prediction) and returns it.
  torch::Tensor finish(const torch::Tensor& x, const torch::Tensor& denoised) const {
    report(steps_, 0.0, x, denoised);
    return x;
  }

 private:
  const Denoiser& denoiser_;
  int64_t steps_;
  int64_t total_;
  const SamplerCallback& on_step_;
  const std::atomic<bool>* cancel_;
  int64_t evaluations_ = 0;
};

// The float32 Karras table as doubles: the one-evaluation methods work out their step coefficients
// in double from the same noise levels the reference uses.
std::vector<double> noise_levels(const KarrasSamplerOptions& options) {
  const auto table =
      karras_sigmas(options.steps, options.sigma_min, options.sigma_max, options.rho).to(torch::kFloat64).contiguous();
  return {table.data_ptr<double>(), table.data_ptr<double>() + table.numel()};
}

// The one-evaluation methods: each step evaluates D at sigmas[i] and `update(x, D, sigma, sigma_next)`
// takes x to the next noise level. Every method's last step, to sigma 0, lands on D itself.
template <typename Update>
torch::Tensor one_evaluation_per_step(ModelCalls& calls, torch::Tensor x, const std::vector<double>& sigmas,
                                      Update update) {
  torch::Tensor denoised;
  for (size_t i = 0; i + 1 < sigmas.size(); ++i) {
    denoised = calls.denoise(x, static_cast<float>(sigmas[i]));
    calls.report(static_cast<int64_t>(i), sigmas[i], x, denoised);
    x = sigmas[i + 1] == 0.0 ? denoised : update(x, denoised, sigmas[i], sigmas[i + 1]);
  }
  return calls.finish(x, denoised);
}

// The probability-flow ODE is dx/dsigma = (x - D(x, sigma)) / sigma. Euler takes one straight step.
torch::Tensor sample_euler(ModelCalls& calls, torch::Tensor x, const std::vector<double>& sigmas) {
  return one_evaluation_per_step(calls, x, sigmas, [](const torch::Tensor& x, const torch::Tensor& denoised,
                                                      double sigma, double sigma_next) {
    return x + (x - denoised) * ((sigma_next - sigma) / sigma);
  });
}

// In lambda = -log(sigma) the ODE is dx/dlambda = D - x, so over a step of length h
//   x_next = e^-h x + integral_0^h e^(u - h) D(lambda + u) du,
// exactly, given D along the step. The DPM-Solver++ methods approximate D there by a polynomial in
// lambda through the predictions of the last steps.
struct StepInterval {
  double h;         // lambda_next - lambda
  double decay;     // e^-h = sigma_next / sigma
  double integral;  // 1 - e^-h: the weight of a constant D
};

StepInterval interval(double sigma, double sigma_next) {
  const double h = std::log(sigma / sigma_next);
  return {h, sigma_next / sigma, -std::expm1(-h)};
}

// DPM-Solver++(2M): D extrapolated linearly, from the previous step's prediction, to the middle of
// the step (first order on the first step).
torch::Tensor sample_dpmpp_2m(ModelCalls& calls, torch::Tensor x, const std::vector<double>& sigmas) {
  torch::Tensor previous;
  double previous_h = 0.0;
  return one_evaluation_per_step(calls, x, sigmas, [&](const torch::Tensor& x, const torch::Tensor& denoised,
                                                       double sigma, double sigma_next) {
    const auto step = interval(sigma, sigma_next);
    auto target = denoised;
    if (previous.defined()) target = denoised + (denoised - previous) * (step.h / (2.0 * previous_h));
    previous = denoised;
    previous_h = step.h;
    return x * step.decay + target * step.integral;
  });
}

// The third-order multistep method (k-diffusion's sample_dpmpp_3m_sde with eta 0). The quadratic
// through the last three predictions is D(lambda + u) = D + u p' + u^2 D[0,1,2] (p' its slope at
// lambda, D[0,1,2] Newton's second divided difference). The u term gets its exact weight phi_2 h,
// phi_2 = 1 - (1 - e^-h) / h; the u^2 term's exact weight is -2 phi_3 h^2, phi_3 = phi_2 / h - 1/2,
// but k-diffusion (like DPM-Solver's reference code) gives it -phi_3 h^2, and so do we, for parity.
// The first two steps use the constant and linear terms only.
torch::Tensor sample_dpmpp_3m(ModelCalls& calls, torch::Tensor x, const std::vector<double>& sigmas) {
  struct Past {
    torch::Tensor denoised;
    double h = 0.0;  // the lambda step that led from this prediction to the next one
  };
  std::vector<Past> past;  // most recent first, at most two
  return one_evaluation_per_step(calls, x, sigmas, [&](const torch::Tensor& x, const torch::Tensor& denoised,
                                                       double sigma, double sigma_next) {
    const auto step = interval(sigma, sigma_next);
    const double phi_2 = 1.0 - step.integral / step.h;
    const double phi_3 = phi_2 / step.h - 0.5;
    auto x_next = x * step.decay + denoised * step.integral;
    if (!past.empty()) {
      const auto slope_01 = (denoised - past[0].denoised) / past[0].h;
      x_next = x_next + slope_01 * (phi_2 * step.h);
      if (past.size() == 2) {
        const auto slope_12 = (past[0].denoised - past[1].denoised) / past[1].h;
        const auto curvature = (slope_01 - slope_12) / (past[0].h + past[1].h);
        x_next = x_next + curvature * (phi_2 * step.h * past[0].h - phi_3 * step.h * step.h);
      }
    }
    past.insert(past.begin(), {denoised, step.h});
    if (past.size() > 2) past.pop_back();
    return x_next;
  });
}

}  // namespace

torch::Tensor karras_sigmas_at(const torch::Tensor& ramp, double sigma_min, double sigma_max, double rho) {
  const double min_inv_rho = std::pow(sigma_min, 1.0 / rho);
  const double max_inv_rho = std::pow(sigma_max, 1.0 / rho);
  return (max_inv_rho + ramp * (min_inv_rho - max_inv_rho)).pow(rho);
}

torch::Tensor karras_sigmas(int64_t steps, double sigma_min, double sigma_max, double rho) {
  // Same float32 operations as get_sigmas_karras, so the table matches the reference bit for bit.
  const auto sigmas = karras_sigmas_at(torch::linspace(0, 1, steps, torch::kFloat32), sigma_min, sigma_max, rho);
  return torch::cat({sigmas, torch::zeros({1}, torch::kFloat32)});
}

Denoiser make_guided_denoiser(SplitVectorDiffusion model, const GaussianDiffusion& diffusion,
                              torch::Tensor condition, const KarrasSamplerOptions& options) {
  validate_guidance(options);
  const auto guides = [](double scale) { return scale != 0.0 && scale != 1.0; };
  const bool guided = guides(options.guidance_scale) || guides(options.guidance_scale_outside);
  // Guidance runs the conditional and the unconditional (zero-condition) halves as one batch.
  auto guided_condition = guided ? torch::cat({condition, torch::zeros_like(condition)}) : condition;
  const int64_t d_latent = model->config().d_latent;
  return [model, diffusion, condition, guided_condition, options, guides, d_latent](const torch::Tensor& x,
                                                                                   float sigma) mutable {
    torch::NoGradGuard no_grad;
    const bool inside = options.guidance_sigma_low <= sigma && sigma <= options.guidance_sigma_high;
    const double scale = inside ? options.guidance_scale : options.guidance_scale_outside;
    const bool guide = guides(scale);
    auto x_batch = guide ? torch::cat({x, x}) : x;
    const auto t = torch::full({x_batch.size(0)}, diffusion.sigma_to_timestep(sigma),
                               torch::TensorOptions().dtype(torch::kLong).device(x.device()));
    // c_in = 1 / sqrt(sigma^2 + 1), evaluated in float32 like the reference.
    const auto c_in = torch::full({}, sigma, torch::kFloat32).pow(2).add(1).pow(0.5).reciprocal();
    auto x_in = x_batch * c_in;
    auto output = model->forward(x_in, t, guide ? guided_condition : condition);
    auto pred_xstart = diffusion.predict_xstart(output.slice(1, 0, d_latent), x_in, t);
    if (options.clip_denoised) pred_xstart = pred_xstart.clamp(-1, 1);
    if (!guide) return pred_xstart;
    auto halves = pred_xstart.chunk(2, 0);
    auto mixed = halves[1] + scale * (halves[0] - halves[1]);
    if (options.guidance_rescale > 0.0) {
      const auto rescaled = mixed * (halves[0].std(1, true, true) / mixed.std(1, true, true));
      mixed = options.guidance_rescale * rescaled + (1.0 - options.guidance_rescale) * mixed;
    }
    if (options.guidance_threshold > 0.0) {
      const auto s = torch::quantile(mixed.abs(), options.guidance_threshold / 100.0, 1, true).clamp_min(1.0);
      mixed = torch::max(torch::min(mixed, s), -s) / s;
    }
    return mixed;
  };
}

torch::Tensor sample_heun(const Denoiser& denoiser, torch::Tensor x, const KarrasSamplerOptions& options,
                          torch::Generator generator, const SamplerCallback& on_step,
                          const std::atomic<bool>* cancel) {
  validate(options);
  torch::NoGradGuard no_grad;
  const int64_t steps = options.steps;
  ModelCalls calls(denoiser, SamplerKind::kHeun, steps, on_step, cancel);
  const auto sigmas = karras_sigmas(steps, options.sigma_min, options.sigma_max, options.rho);
  torch::Tensor denoised;
  for (int64_t i = 0; i < steps; ++i) {
    const auto sigma = sigmas[i];
    const auto sigma_next = sigmas[i + 1];
    const float sigma_value = sigma.item<float>();
    const double gamma = (options.s_tmin <= sigma_value && sigma_value <= options.s_tmax)
                             ? std::min(options.s_churn / steps, std::sqrt(2.0) - 1.0)
                             : 0.0;
    const auto sigma_hat = sigma * (gamma + 1.0);
    if (options.s_churn > 0.0) {
      // The reference draws this noise every step, so the stream matches it even where gamma is 0.
      auto eps = torch::randn(x.sizes(), generator, torch::kFloat32).to(x.options()) * options.s_noise;
      if (gamma > 0.0) x = x + eps * (sigma_hat.pow(2) - sigma.pow(2)).pow(0.5);
    }
    const float sigma_hat_value = sigma_hat.item<float>();
    denoised = calls.denoise(x, sigma_hat_value);
    const auto d = (x - denoised) / sigma_hat;
    calls.report(i, sigma_hat_value, x, denoised);
    const auto dt = sigma_next - sigma_hat;
    if (sigma_next.item<float>() == 0.0f) {
      x = x + d * dt;  // Euler step into sigma = 0
    } else {
      const auto x_2 = x + d * dt;
      const auto denoised_2 = calls.denoise(x_2, sigma_next.item<float>());
      const auto d_2 = (x_2 - denoised_2) / sigma_next;
      x = x + (d + d_2) / 2 * dt;
    }
  }
  return calls.finish(x, denoised);
}

torch::Tensor sample(const Denoiser& denoiser, torch::Tensor x_T, const KarrasSamplerOptions& options,
                     torch::Generator generator, const SamplerCallback& on_step, const std::atomic<bool>* cancel) {
  validate(options);
  if (options.s_churn > 0.0 && options.sampler != SamplerKind::kHeun) {
    throw std::invalid_argument("churn (s_churn) is supported by the heun sampler only, not " +
                                sampler_name(options.sampler));
  }
  if (options.sampler == SamplerKind::kHeun) return sample_heun(denoiser, x_T, options, generator, on_step, cancel);
  torch::NoGradGuard no_grad;
  ModelCalls calls(denoiser, options.sampler, options.steps, on_step, cancel);
  const auto sigmas = noise_levels(options);
  switch (options.sampler) {
    case SamplerKind::kEuler: return sample_euler(calls, x_T, sigmas);
    case SamplerKind::kDpmpp2m: return sample_dpmpp_2m(calls, x_T, sigmas);
    case SamplerKind::kDpmpp3m: return sample_dpmpp_3m(calls, x_T, sigmas);
    case SamplerKind::kHeun: break;
  }
  throw std::invalid_argument("unknown sampler kind");
}

torch::Generator make_seeded_generator(uint64_t seed) { return at::detail::createCPUGenerator(seed); }

torch::Tensor initial_noise(int64_t batch, int64_t d_latent, double sigma_max, torch::Generator& generator,
                            torch::Device device) {
  return (torch::randn({batch, d_latent}, generator, torch::kFloat32) * sigma_max).to(device);
}

torch::Tensor sample_latents(SplitVectorDiffusion model, const GaussianDiffusion& diffusion,
                             const torch::Tensor& condition, uint64_t seed, const KarrasSamplerOptions& options,
                             const SamplerCallback& on_step, const std::atomic<bool>* cancel) {
  validate(options);
  auto generator = make_seeded_generator(seed);
  auto x_T = initial_noise(condition.size(0), model->config().d_latent, options.sigma_max, generator,
                           condition.device());
  auto denoiser = make_guided_denoiser(model, diffusion, condition, options);
  return sample(denoiser, x_T, options, generator, on_step, cancel);
}

}  // namespace shape
