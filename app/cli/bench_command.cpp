#include <cstdio>
#include <stdexcept>

#include "cli/commands.h"
#include "inference/benchmark.h"
#include "inference/runtime.h"

namespace shape::cli {
namespace {

int64_t parse_count(const std::string& option, const std::string& value) {
  try {
    size_t used = 0;
    const long long parsed = std::stoll(value, &used);
    if (used == value.size() && parsed > 0) return parsed;
  } catch (const std::exception&) {
  }
  throw UsageError{option + " needs a positive integer, got '" + value + "'"};
}

}  // namespace

int run_bench(const std::vector<std::string>& args) {
  TransformerBenchmarkOptions options;
  options.config_path = std::string(SHAPE_RESOURCES_DIR) + "/configs/text300M.yaml";
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& option = args[i];
    if (i + 1 >= args.size()) throw UsageError{"option '" + option + "' needs a value"};
    const auto& value = args[++i];
    if (option == "--config") {
      options.config_path = value;
    } else if (option == "--batch") {
      options.batch = parse_count(option, value);
    } else if (option == "--repeats") {
      options.repeats = parse_count(option, value);
    } else if (option == "--steps") {
      options.sampler_steps = parse_count(option, value);
    } else {
      throw UsageError{"unknown bench option '" + option + "'"};
    }
  }

  std::printf("%s\nmodel config: %s\n\n", torch_runtime_summary().c_str(), options.config_path.c_str());
  std::fflush(stdout);
  const auto result = benchmark_diffusion_transformer(options);
  const double gflops_per_second = result.gflops_per_forward / (result.ms_per_forward / 1000.0);
  std::printf("| measure | value |\n|---|---|\n");
  std::printf("| parameters | %lld (%.1f M) |\n", static_cast<long long>(result.parameters),
              result.parameters / 1e6);
  std::printf("| backbone tokens | %lld |\n", static_cast<long long>(result.tokens));
  std::printf("| build with random weights | %.2f s |\n", result.build_seconds);
  std::printf("| forward, batch %lld (median of %lld) | %.1f ms |\n", static_cast<long long>(options.batch),
              static_cast<long long>(options.repeats), result.ms_per_forward);
  std::printf("| matrix work per forward | %.1f GFLOP (%.1f GFLOP/s) |\n", result.gflops_per_forward,
              gflops_per_second);
  std::printf("| projected %lld Heun steps (%lld forwards) | %.1f s (%.1f min) |\n",
              static_cast<long long>(options.sampler_steps), static_cast<long long>(result.forwards_per_sample),
              result.projected_sample_seconds, result.projected_sample_seconds / 60.0);
  return 0;
}

}  // namespace shape::cli
