// shap-e's GaussianDiffusion, reduced to what sampling with the Karras/Heun sampler needs: the noise
// schedule (in float64, as the reference computes it), sigma -> timestep, and the x_start prediction.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "inference/config/model_config.h"

namespace shape {

class GaussianDiffusion {
 public:
  explicit GaussianDiffusion(const DiffusionConfig& config);

  int64_t num_timesteps() const { return static_cast<int64_t>(betas_.size()); }
  const std::vector<double>& betas() const { return betas_; }
  const std::vector<double>& alphas_cumprod() const { return alphas_cumprod_; }

  // GaussianToKarrasDenoiser.sigma_to_t: the fractional timestep whose alpha_bar is 1 / (sigma^2 + 1),
  // by linear interpolation in alpha_bar; 0 above alpha_bar[0], T-1 at or below alpha_bar[T-1].
  // sigma is float32 because the reference takes it from a float32 tensor.
  double sigma_to_t(float sigma) const;
  // The whole timestep the sampler runs the model at for `sigma`: sigma_to_t truncated, as the
  // reference puts it into a long tensor.
  int64_t sigma_to_timestep(float sigma) const { return static_cast<int64_t>(sigma_to_t(sigma)); }

  // The model's prediction of the clean latent from the first half of its output
  // (mean_type x_start: the output itself; epsilon: derived from x_t and the noise).
  torch::Tensor predict_xstart(const torch::Tensor& model_output, const torch::Tensor& x_t,
                               const torch::Tensor& t) const;

 private:
  DiffusionConfig config_;
  std::vector<double> betas_;
  std::vector<double> alphas_cumprod_;
  // For epsilon prediction: x_start = sqrt(1/a) x_t - sqrt(1/a - 1) eps.
  std::vector<double> sqrt_recip_alphas_cumprod_;
  std::vector<double> sqrt_recipm1_alphas_cumprod_;
};

}  // namespace shape
