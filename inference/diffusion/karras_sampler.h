// Samplers over the Karras et al. (2022) noise levels: the Heun sampler as shap-e runs it
// (k_diffusion.py) and the few-step Euler, DPM-Solver++(2M) and 3rd-order multistep methods as
// k-diffusion writes them, all driving shap-e's guided denoiser, with a per-step callback for live
// previews and a cancellation flag checked before every model evaluation.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>

#include <torch/types.h>

#include "inference/diffusion/gaussian_diffusion.h"
#include "inference/diffusion/generation_cancelled.h"
#include "inference/diffusion/sampler_choice.h"
#include "inference/models/diffusion_transformer.h"

namespace shape {

struct KarrasSamplerOptions {
  SamplerKind sampler = SamplerKind::kHeun;
  int64_t steps = 64;
  double sigma_min = 1e-3;
  double sigma_max = 160.0;
  double rho = 7.0;
  // Stochastic churn (Karras Algorithm 2), Heun only; 0 gives the deterministic sampler the official
  // code uses.
  double s_churn = 0.0;
  double s_tmin = 0.0;
  double s_tmax = std::numeric_limits<double>::infinity();
  double s_noise = 1.0;
  double guidance_scale = 15.0;  // 0 or 1: no classifier-free guidance
  bool clip_denoised = true;
  // Ways to tame high guidance (off by default; the official code has none of them):
  // guidance only while guidance_sigma_low <= sigma <= guidance_sigma_high (Kynkaanniemi et al. 2024),
  // elsewhere guidance_scale_outside: by default 1, the conditional prediction alone, at half the cost;
  double guidance_sigma_low = 0.0;
  double guidance_sigma_high = std::numeric_limits<double>::infinity();
  double guidance_scale_outside = 1.0;  // 0 or 1: none
  // the guided prediction's per-sample standard deviation pulled this fraction of the way to the
  // conditional one's (Lin et al. 2024: 0.7);
  double guidance_rescale = 0.0;
  // dynamic thresholding (Saharia et al. 2022): with s = max(1, this percentile of |prediction|)
  // per sample, the prediction is clamped to [-s, s] and divided by s (0: off).
  double guidance_threshold = 0.0;
};

// What the sampler reports before each update (step = 0..steps-1), then once more with the final
// sample (step = steps, sigma = 0, pred_xstart = the last denoised prediction).
struct SamplerProgress {
  int64_t step = 0;
  int64_t total_steps = 0;
  double sigma = 0.0;  // the noise level of `x` (sigma_hat when churn is on)
  torch::Tensor x;
  torch::Tensor pred_xstart;
  int64_t evaluations = 0;        // model evaluations made so far, this step's first included
  int64_t total_evaluations = 0;  // what the whole sample costs
};
using SamplerCallback = std::function<void(const SamplerProgress&)>;

// Maps noisy latents at one noise level to the predicted clean latents.
using Denoiser = std::function<torch::Tensor(const torch::Tensor& x, float sigma)>;

// The Karras noise levels, float32 [steps + 1], decreasing, with a final 0.
torch::Tensor karras_sigmas(int64_t steps, double sigma_min, double sigma_max, double rho);
// The Karras noise level at each position of `ramp` (0: sigma_max, 1: sigma_min), in ramp's dtype.
torch::Tensor karras_sigmas_at(const torch::Tensor& ramp, double sigma_min, double sigma_max, double rho);

// shap-e's GaussianToKarrasDenoiser with classifier-free guidance: the batch is run once with the
// condition and once with a zero condition, and the predictions are mixed as
// uncond + scale * (cond - uncond). `condition` holds one entry per latent in the batch.
Denoiser make_guided_denoiser(SplitVectorDiffusion model, const GaussianDiffusion& diffusion,
                              torch::Tensor condition, const KarrasSamplerOptions& options);

// Sampling from x_T (already scaled by sigma_max) with options.sampler. Every method reports x before
// its update and the denoised prediction it took at that step's noise level; `generator` supplies
// Heun's churn noise.
torch::Tensor sample(const Denoiser& denoiser, torch::Tensor x_T, const KarrasSamplerOptions& options,
                     torch::Generator generator, const SamplerCallback& on_step = nullptr,
                     const std::atomic<bool>* cancel = nullptr);

// Heun sampling (options.sampler is not read). As in the reference, a churn noise draw is made every
// step when s_churn > 0.
torch::Tensor sample_heun(const Denoiser& denoiser, torch::Tensor x_T, const KarrasSamplerOptions& options,
                          torch::Generator generator, const SamplerCallback& on_step = nullptr,
                          const std::atomic<bool>* cancel = nullptr);

// Draws x_T = randn(batch, d_latent) * sigma_max on the CPU generator seeded with `seed` (the same
// numbers the official code draws after torch.manual_seed(seed) on the CPU), moved to `device`.
torch::Tensor initial_noise(int64_t batch, int64_t d_latent, double sigma_max, torch::Generator& generator,
                            torch::Device device);

// A CPU generator seeded like torch.manual_seed(seed).
torch::Generator make_seeded_generator(uint64_t seed);

}  // namespace shape

namespace shape {

// shap-e's sample_latents with use_karras=True: x_T from `seed`, then guided sampling with
// options.sampler (Heun in the official code).
// `condition` has one entry per sample (CLIP embeddings or grids); returns [batch, d_latent].
torch::Tensor sample_latents(SplitVectorDiffusion model, const GaussianDiffusion& diffusion,
                             const torch::Tensor& condition, uint64_t seed, const KarrasSamplerOptions& options,
                             const SamplerCallback& on_step = nullptr, const std::atomic<bool>* cancel = nullptr);

}  // namespace shape
