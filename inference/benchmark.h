// Timing of the diffusion transformer at any size from a config, with random weights, and a
// per-op profile of one forward. Torch-free header so the CLI stays a thin front end.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "inference/precision.h"

namespace shape {

struct TransformerBenchmarkOptions {
  std::string config_path;  // shap-e YAML (e.g. resources/configs/text300M.yaml)
  int64_t batch = 2;        // 2 = one classifier-free-guidance evaluation of one sample
  int64_t repeats = 2;      // timed forwards after one warm-up
  Precision precision = Precision::kFloat32;
  bool profile = false;     // also profile one forward per op
};

// One row of the per-op profile: an ATen operator's self time (its time minus that of the
// operators it called) summed over one forward.
struct OpProfileRow {
  std::string name;
  int64_t calls = 0;
  double self_ms = 0.0;
};

struct TransformerBenchmarkResult {
  int64_t parameters = 0;
  int64_t tokens = 0;            // sequence length seen by the backbone
  double build_seconds = 0.0;    // constructing the model with random weights
  double ms_per_forward = 0.0;   // median of the timed forwards
  double gflops_per_forward = 0.0;  // matrix-product work, for a throughput figure
  std::vector<OpProfileRow> profile;  // by self time, largest first (when asked for)
};

TransformerBenchmarkResult benchmark_diffusion_transformer(const TransformerBenchmarkOptions& options);

}  // namespace shape
