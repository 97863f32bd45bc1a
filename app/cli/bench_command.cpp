#include <cstdio>
#include <stdexcept>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "inference/benchmark.h"
#include "inference/decoder/decoder_benchmark.h"
#include "inference/runtime.h"

namespace shape::cli {
namespace {

void print_transformer_rows(const TransformerBenchmarkOptions& options, const TransformerBenchmarkResult& result) {
  const double gflops_per_second = result.gflops_per_forward / (result.ms_per_forward / 1000.0);
  std::printf("| transformer parameters | %.1f M |\n", result.parameters / 1e6);
  std::printf("| transformer backbone tokens | %lld |\n", static_cast<long long>(result.tokens));
  std::printf("| transformer forward, batch %lld (median of %lld) | %.1f ms |\n",
              static_cast<long long>(options.batch), static_cast<long long>(options.repeats), result.ms_per_forward);
  std::printf("| transformer matrix work per forward | %.1f GFLOP (%.1f GFLOP/s) |\n", result.gflops_per_forward,
              gflops_per_second);
  std::printf("| projected %lld Heun steps (%lld forwards) | %.1f s (%.1f min) |\n",
              static_cast<long long>(options.sampler_steps), static_cast<long long>(result.forwards_per_sample),
              result.projected_sample_seconds, result.projected_sample_seconds / 60.0);
}

void print_decoder_rows(const DecoderBenchmarkOptions& options, const DecoderBenchmarkResult& result) {
  std::printf("| decoder parameters (incl. buffers) | %.1f M |\n", result.parameters / 1e6);
  std::printf("| decoder MLP queries | %s |\n", precision_name(options.precision).c_str());
  std::printf("| params projection (latent -> MLP weights) | %.1f ms |\n", result.params_projection_seconds * 1000);
  for (const auto& row : result.nerf) {
    const auto size = static_cast<long long>(row.image_size);
    std::printf("| NeRF %lldx%lld view, exact (%lld of %lld rays hit the box, %lld samples each) | %.2f s |\n", size,
                size, static_cast<long long>(row.rays_hitting_box), static_cast<long long>(row.rays),
                static_cast<long long>(row.samples_per_ray), row.exact_seconds);
    std::printf("| NeRF %lldx%lld view, fast path (%.0f%% of the exact MLP queries) | %.2f s |\n", size, size,
                100.0 * static_cast<double>(row.fast_samples_queried) / static_cast<double>(row.exact_samples_queried),
                row.fast_seconds);
  }
  std::printf("| NeRF fast path: occupancy grid, once per latent (%.0f%% of the cells occupied) | %.2f s |\n",
              100.0 * result.occupied_fraction, result.occupancy_grid_seconds);
  for (const auto& row : result.stf) {
    const auto grid = static_cast<long long>(row.grid_size);
    std::printf("| STF %lld^3: grid query (%s, %.1f%% of the points) | %.2f s |\n", grid,
                options.dense_grid ? "dense" : "coarse to fine",
                100.0 * static_cast<double>(row.grid_points_queried) / static_cast<double>(grid * grid * grid),
                row.grid_query_seconds);
    std::printf("| STF %lld^3: marching cubes | %.3f s |\n", grid, row.marching_cubes_seconds);
    std::printf("| STF %lld^3: vertex colours | %.2f s |\n", grid, row.vertex_color_seconds);
    std::printf("| STF %lld^3 total (%lld vertices, %lld triangles) | %.2f s |\n", grid,
                static_cast<long long>(row.vertices), static_cast<long long>(row.triangles), row.total_seconds);
  }
  std::printf("| peak resident memory (whole run) | %.0f MiB |\n", result.peak_resident_mib);
}

}  // namespace

int run_bench(const std::vector<std::string>& args) {
  const std::string configs = std::string(SHAPE_RESOURCES_DIR) + "/configs/";
  TransformerBenchmarkOptions transformer;
  transformer.config_path = configs + "text300M.yaml";
  DecoderBenchmarkOptions decoder;
  decoder.config_path = configs + "transmitter.yaml";
  bool run_transformer = true, run_decoder = true;
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& option = args[i];
    if (option == "--only") {
      if (i + 1 >= args.size()) throw UsageError{"option '--only' needs a value"};
      const auto& part = args[++i];
      if (part != "transformer" && part != "decoder") throw UsageError{"--only takes transformer or decoder"};
      run_transformer = part == "transformer";
      run_decoder = part == "decoder";
      continue;
    }
    if (i + 1 >= args.size()) throw UsageError{"option '" + option + "' needs a value"};
    const auto& value = args[++i];
    if (option == "--config") {
      transformer.config_path = value;
    } else if (option == "--decoder-config") {
      decoder.config_path = value;
    } else if (option == "--batch") {
      transformer.batch = parse_count(option, value);
    } else if (option == "--repeats") {
      transformer.repeats = parse_count(option, value);
    } else if (option == "--steps") {
      transformer.sampler_steps = parse_count(option, value);
    } else if (option == "--image-size") {
      decoder.image_sizes = {parse_count(option, value)};
    } else if (option == "--grid") {
      decoder.grid_sizes = {parse_count(option, value)};
    } else {
      throw UsageError{"unknown bench option '" + option + "'"};
    }
  }

  std::printf("%s\n", torch_runtime_summary().c_str());
  if (run_transformer) std::printf("transformer config: %s\n", transformer.config_path.c_str());
  if (run_decoder) std::printf("decoder config: %s\n", decoder.config_path.c_str());
  std::printf("\n| measure | value |\n|---|---|\n");
  std::fflush(stdout);
  if (run_transformer) {
    print_transformer_rows(transformer, benchmark_diffusion_transformer(transformer));
    std::fflush(stdout);
  }
  if (run_decoder) print_decoder_rows(decoder, benchmark_decoder(decoder));
  return 0;
}

}  // namespace shape::cli
