#include "inference/benchmark.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include <torch/torch.h>

#include "inference/config/model_config.h"
#include "inference/models/diffusion_transformer.h"

namespace shape {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Multiply-add work of one forward, counted as 2 FLOPs each: the linear layers plus attention.
double forward_gflops(const DiffusionTransformerConfig& config, int64_t batch, int64_t tokens) {
  const double w = static_cast<double>(config.width);
  const double per_token_per_layer = 3 * w * w + w * w + 8 * w * w;  // qkv, proj, mlp
  const double attention_per_layer = 2.0 * tokens * tokens * w;       // q k^T and weights v
  const double layers = static_cast<double>(config.layers);
  const double io = static_cast<double>(config.latent_ctx) * w * 3 * config.latent_channels();
  const double macs = layers * (tokens * per_token_per_layer + attention_per_layer) + io;
  return 2.0 * macs * batch / 1e9;
}

}  // namespace

TransformerBenchmarkResult benchmark_diffusion_transformer(const TransformerBenchmarkOptions& options) {
  torch::NoGradGuard no_grad;
  const auto config = load_diffusion_transformer_config(options.config_path);
  TransformerBenchmarkResult result;

  const auto build_start = std::chrono::steady_clock::now();
  SplitVectorDiffusion model(config);
  model->eval();
  result.build_seconds = seconds_since(build_start);
  for (const auto& parameter : model->parameters()) result.parameters += parameter.numel();

  const bool grid = config.conditioning == ConditioningKind::kClipGrid;
  const int64_t prefix = grid ? config.clip_grid_tokens + (config.time_token_cond ? 1 : 0)
                              : (config.token_cond ? 1 : 0) + (config.time_token_cond ? 1 : 0);
  result.tokens = config.latent_ctx + prefix;

  auto x = torch::randn({options.batch, config.d_latent});
  auto t = torch::full({options.batch}, 500, torch::kLong);
  auto condition = grid ? torch::randn({options.batch, config.clip_grid_feature_dim, config.clip_grid_tokens})
                        : torch::randn({options.batch, config.clip_feature_dim});

  model->forward(x, t, condition);  // warm-up: first-touch allocations, BLAS thread start
  std::vector<double> times;
  for (int64_t i = 0; i < std::max<int64_t>(1, options.repeats); ++i) {
    const auto start = std::chrono::steady_clock::now();
    model->forward(x, t, condition);
    times.push_back(seconds_since(start) * 1000.0);
  }
  std::sort(times.begin(), times.end());
  result.ms_per_forward = times[times.size() / 2];
  result.forwards_per_sample = 2 * options.sampler_steps - 1;
  result.projected_sample_seconds = result.ms_per_forward * result.forwards_per_sample / 1000.0;
  result.gflops_per_forward = forward_gflops(config, options.batch, result.tokens);
  return result;
}

}  // namespace shape
