#include "inference/load_benchmark.h"

#include <sys/resource.h>

#include <chrono>
#include <memory>

#include "inference/pipeline/latent_decoder.h"
#include "inference/resident_memory.h"

namespace shape {
namespace {

struct Clock {
  std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
  double cpu = cpu_seconds();

  static double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& time) { return static_cast<double>(time.tv_sec) + time.tv_usec / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
  }

  LoadStageTiming since() const {
    LoadStageTiming timing;
    timing.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
    timing.cpu_seconds = cpu_seconds() - cpu;
    return timing;
  }
};

}  // namespace

LoadBenchmarkResult benchmark_loading(const LoadBenchmarkOptions& options) {
  LoadBenchmarkResult result;
  result.resident_before_bytes = current_resident_bytes();
  result.peak_covers_only_loading = reset_peak_resident();

  const Clock start;
  const auto generator = std::make_unique<LatentGenerator>(options.generator, options.device, options.precision);
  result.generator = start.since();
  const Clock decoder_start;
  const auto decoder = std::make_unique<LatentDecoder>(options.decoder_config, options.decoder_weights, options.device);
  result.decoder = decoder_start.since();
  result.total = start.since();

  result.resident_after_bytes = current_resident_bytes();
  result.peak_resident_bytes = peak_resident_bytes();
  return result;
}

}  // namespace shape
