// How long loading the models takes and how much memory it needs: the files a text (or image)
// generation loads, LatentGenerator then LatentDecoder, as the CLI and GUI load them.
// Torch-free header so the CLI stays a thin front end.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "inference/pipeline/latent_generator.h"
#include "inference/precision.h"

namespace shape {

struct LoadBenchmarkOptions {
  GeneratorFiles generator;                    // transformer config + weights, diffusion config, CLIP
  std::filesystem::path decoder_config;        // transmitter.yaml
  std::filesystem::path decoder_weights;       // transmitter.pt
  std::string device = "cpu";
  Precision precision = Precision::kFloat32;  // the transformer's
};

struct LoadStageTiming {
  double wall_seconds = 0.0;
  double cpu_seconds = 0.0;  // user + system time of every thread of the process
};

struct LoadBenchmarkResult {
  LoadStageTiming generator;  // CLIP + the diffusion transformer
  LoadStageTiming decoder;    // the transmitter's decoder half
  LoadStageTiming total;
  int64_t resident_before_bytes = 0;  // the process before loading (libraries, allocator)
  int64_t resident_after_bytes = 0;   // with both models loaded
  int64_t peak_resident_bytes = 0;    // the most resident while loading
  bool peak_covers_only_loading = false;  // false: the peak is the whole run's (no /proc/self/clear_refs)
  // What the loaded models occupy (after - before), and the peak over the same base.
  int64_t models_resident_bytes() const { return resident_after_bytes - resident_before_bytes; }
  int64_t peak_extra_bytes() const { return peak_resident_bytes - resident_before_bytes; }
};

// Loads the files once (errors as LatentGenerator and LatentDecoder throw them) and drops them.
// Times depend on the page cache: the first run after writing or copying the files may read from
// disk; later runs find them in memory.
LoadBenchmarkResult benchmark_loading(const LoadBenchmarkOptions& options);

}  // namespace shape
