// Timing of the diffusion transformer at any size from a config, with random weights.
// Torch-free header so the CLI stays a thin front end.
#pragma once

#include <cstdint>
#include <string>

namespace shape {

struct TransformerBenchmarkOptions {
  std::string config_path;  // shap-e YAML (e.g. resources/configs/text300M.yaml)
  int64_t batch = 2;        // 2 = one classifier-free-guidance evaluation of one sample
  int64_t repeats = 2;      // timed forwards after one warm-up
  int64_t sampler_steps = 64;
};

struct TransformerBenchmarkResult {
  int64_t parameters = 0;
  int64_t tokens = 0;            // sequence length seen by the backbone
  double build_seconds = 0.0;    // constructing the model with random weights
  double ms_per_forward = 0.0;   // median of the timed forwards
  int64_t forwards_per_sample = 0;  // Heun: 2 per step, 1 on the last
  double projected_sample_seconds = 0.0;
  double gflops_per_forward = 0.0;  // matrix-product work, for a throughput figure
};

TransformerBenchmarkResult benchmark_diffusion_transformer(const TransformerBenchmarkOptions& options);

}  // namespace shape
