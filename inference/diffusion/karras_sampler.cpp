#include "inference/diffusion/karras_sampler.h"

#include <ATen/CPUGeneratorImpl.h>
#include <cmath>
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

void throw_if_cancelled(const std::atomic<bool>* cancel) {
  if (cancel && cancel->load(std::memory_order_relaxed)) throw GenerationCancelled();
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
  const bool guided = options.guidance_scale != 0.0 && options.guidance_scale != 1.0;
  // Guidance runs the conditional and the unconditional (zero-condition) halves as one batch.
  auto model_condition = guided ? torch::cat({condition, torch::zeros_like(condition)}) : condition;
  const int64_t d_latent = model->config().d_latent;
  return [model, diffusion, model_condition, options, guided, d_latent](const torch::Tensor& x, float sigma) mutable {
    torch::NoGradGuard no_grad;
    auto x_batch = guided ? torch::cat({x, x}) : x;
    const auto t = torch::full({x_batch.size(0)}, diffusion.sigma_to_timestep(sigma),
                               torch::TensorOptions().dtype(torch::kLong).device(x.device()));
    // c_in = 1 / sqrt(sigma^2 + 1), evaluated in float32 like the reference.
    const auto c_in = torch::full({}, sigma, torch::kFloat32).pow(2).add(1).pow(0.5).reciprocal();
    auto x_in = x_batch * c_in;
    auto output = model->forward(x_in, t, model_condition);
    auto pred_xstart = diffusion.predict_xstart(output.slice(1, 0, d_latent), x_in, t);
    if (options.clip_denoised) pred_xstart = pred_xstart.clamp(-1, 1);
    if (!guided) return pred_xstart;
    auto halves = pred_xstart.chunk(2, 0);
    return halves[1] + options.guidance_scale * (halves[0] - halves[1]);
  };
}

torch::Tensor sample_heun(const Denoiser& denoiser, torch::Tensor x, const KarrasSamplerOptions& options,
                          torch::Generator generator, const SamplerCallback& on_step,
                          const std::atomic<bool>* cancel) {
  validate(options);
  torch::NoGradGuard no_grad;
  const int64_t steps = options.steps;
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
    throw_if_cancelled(cancel);
    const float sigma_hat_value = sigma_hat.item<float>();
    denoised = denoiser(x, sigma_hat_value);
    const auto d = (x - denoised) / sigma_hat;
    if (on_step) on_step({i, steps, sigma_hat_value, x, denoised});
    const auto dt = sigma_next - sigma_hat;
    if (sigma_next.item<float>() == 0.0f) {
      x = x + d * dt;  // Euler step into sigma = 0
    } else {
      const auto x_2 = x + d * dt;
      throw_if_cancelled(cancel);
      const auto denoised_2 = denoiser(x_2, sigma_next.item<float>());
      const auto d_2 = (x_2 - denoised_2) / sigma_next;
      x = x + (d + d_2) / 2 * dt;
    }
  }
  if (on_step) on_step({steps, steps, 0.0, x, denoised});
  return x;
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
  return sample_heun(denoiser, x_T, options, generator, on_step, cancel);
}

}  // namespace shape
