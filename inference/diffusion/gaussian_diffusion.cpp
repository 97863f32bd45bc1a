#include "inference/diffusion/gaussian_diffusion.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include <torch/torch.h>

namespace shape {
namespace {

constexpr double kMaxBeta = 0.999;

std::vector<double> betas_for_alpha_bar(int64_t steps, const std::function<double(double)>& alpha_bar) {
  std::vector<double> betas;
  betas.reserve(steps);
  for (int64_t i = 0; i < steps; ++i) {
    const double t1 = static_cast<double>(i) / steps;
    const double t2 = static_cast<double>(i + 1) / steps;
    betas.push_back(std::min(1.0 - alpha_bar(t2) / alpha_bar(t1), kMaxBeta));
  }
  return betas;
}

std::vector<double> make_betas(const DiffusionConfig& config) {
  const int64_t steps = config.timesteps;
  if (config.schedule == "exp") {
    const double coefficient = config.schedule_coefficient;
    return betas_for_alpha_bar(steps, [=](double t) { return std::exp(t * coefficient); });
  }
  if (config.schedule == "cosine") {
    return betas_for_alpha_bar(steps, [](double t) {
      const double c = std::cos((t + 0.008) / 1.008 * M_PI / 2);
      return c * c;
    });
  }
  if (config.schedule == "inv_parabola") {
    const double power = config.schedule_power;
    return betas_for_alpha_bar(steps, [=](double t) { return 1.0 - std::pow(t, power); });
  }
  if (config.schedule == "translated_parabola") {
    const double power = config.schedule_power;
    return betas_for_alpha_bar(steps, [=](double t) { return std::pow(1.0 - t, power); });
  }
  // linear (Ho et al.), scaled so any number of steps covers the same range.
  const double scale = 1000.0 / steps;
  const double start = scale * 0.0001, end = scale * 0.02;
  std::vector<double> betas(steps);
  for (int64_t i = 0; i < steps; ++i) {
    betas[i] = steps == 1 ? start : start + (end - start) * static_cast<double>(i) / (steps - 1);
  }
  return betas;
}

// Gathers float64 schedule values at timesteps t and broadcasts them over x's trailing dims.
torch::Tensor extract(const std::vector<double>& values, const torch::Tensor& t, const torch::Tensor& like) {
  auto table = torch::tensor(values, torch::kFloat64).to(t.device());
  auto gathered = table.index_select(0, t.to(torch::kLong)).to(torch::kFloat32).to(like.scalar_type());
  std::vector<int64_t> shape(like.dim(), 1);
  shape[0] = like.size(0);
  return gathered.view(shape);
}

}  // namespace

GaussianDiffusion::GaussianDiffusion(const DiffusionConfig& config) : config_(config), betas_(make_betas(config)) {
  for (double beta : betas_) {
    if (!(beta > 0.0 && beta <= 1.0)) throw ConfigError("diffusion schedule produced a beta outside (0, 1]");
  }
  alphas_cumprod_.reserve(betas_.size());
  double product = 1.0;
  for (double beta : betas_) {
    product *= 1.0 - beta;
    alphas_cumprod_.push_back(product);
    sqrt_recip_alphas_cumprod_.push_back(std::sqrt(1.0 / product));
    sqrt_recipm1_alphas_cumprod_.push_back(std::sqrt(1.0 / product - 1.0));
  }
}

double GaussianDiffusion::sigma_to_t(float sigma) const {
  // NumPy 1.x promotes the float32 sigma to float64 here; so does this.
  const double sigma64 = sigma;
  const double alpha_bar = 1.0 / (sigma64 * sigma64 + 1.0);
  const auto& table = alphas_cumprod_;  // strictly decreasing
  if (alpha_bar > table.front()) return 0.0;
  if (alpha_bar <= table.back()) return static_cast<double>(num_timesteps() - 1);
  // scipy's interp1d sorts alpha_bar ascending (so t descending) and interpolates between the
  // neighbours of the first entry >= x; written the same way so the result matches to the last bit.
  const double x = alpha_bar;
  const int64_t n = num_timesteps();
  auto ascending = [&](int64_t j) { return table[n - 1 - j]; };
  int64_t hi = std::lower_bound(table.rbegin(), table.rend(), x) - table.rbegin();
  hi = std::clamp<int64_t>(hi, 1, n - 1);
  const int64_t lo = hi - 1;
  const double t_lo = static_cast<double>(n - 1 - lo), t_hi = static_cast<double>(n - 1 - hi);
  const double slope = (t_hi - t_lo) / (ascending(hi) - ascending(lo));
  return slope * (x - ascending(lo)) + t_lo;
}

torch::Tensor GaussianDiffusion::predict_xstart(const torch::Tensor& model_output, const torch::Tensor& x_t,
                                                const torch::Tensor& t) const {
  if (config_.mean_type == "x_start") return model_output;
  return extract(sqrt_recip_alphas_cumprod_, t, x_t) * x_t - extract(sqrt_recipm1_alphas_cumprod_, t, x_t) * model_output;
}

}  // namespace shape
