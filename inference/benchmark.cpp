#include "inference/benchmark.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <vector>

#include <torch/csrc/autograd/profiler_legacy.h>
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

// Self time per operator from the legacy profiler's push/pop events (every thread's list; ops
// run inside ATen's parallel regions are attributed to the op that started them).
std::vector<OpProfileRow> profile_one_call(const std::function<void()>& call) {
  namespace profiler = torch::autograd::profiler;
  profiler::enableProfilerLegacy(torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU));
  call();
  const auto threads = profiler::disableProfilerLegacy();
  std::map<std::string, OpProfileRow> rows;
  for (const auto& events : threads) {
    struct Open {
      const profiler::LegacyEvent* push;
      double children_us;
    };
    std::vector<Open> stack;
    for (const auto& event : events) {
      if (event.kind() == profiler::EventKind::PushRange) {
        stack.push_back({&event, 0.0});
      } else if (event.kind() == profiler::EventKind::PopRange && !stack.empty()) {
        const auto open = stack.back();
        stack.pop_back();
        const double elapsed_us = open.push->cpuElapsedUs(event);
        auto& row = rows[open.push->name()];
        row.name = open.push->name();
        row.calls += 1;
        row.self_ms += (elapsed_us - open.children_us) / 1000.0;
        if (!stack.empty()) stack.back().children_us += elapsed_us;
      }
    }
  }
  std::vector<OpProfileRow> sorted;
  for (auto& [name, row] : rows) sorted.push_back(row);
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.self_ms > b.self_ms; });
  return sorted;
}

}  // namespace

TransformerBenchmarkResult benchmark_diffusion_transformer(const TransformerBenchmarkOptions& options) {
  torch::NoGradGuard no_grad;
  const auto config = load_diffusion_transformer_config(options.config_path);
  TransformerBenchmarkResult result;

  const auto build_start = std::chrono::steady_clock::now();
  SplitVectorDiffusion model(config);
  model->eval();
  model->set_precision(options.precision);
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
  result.gflops_per_forward = forward_gflops(config, options.batch, result.tokens);
  if (options.profile) result.profile = profile_one_call([&] { model->forward(x, t, condition); });
  return result;
}

}  // namespace shape
