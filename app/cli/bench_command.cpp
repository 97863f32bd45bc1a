#include <cstdio>
#include <stdexcept>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/sampler_options.h"
#include "inference/benchmark.h"
#include "inference/cpu_features.h"
#include "inference/decoder/decoder_benchmark.h"
#include "inference/load_benchmark.h"
#include "inference/runtime.h"

namespace shape::cli {
namespace {

// The sampling time each choice would take at this forward's speed: the chosen one, then the presets.
void print_transformer_rows(const TransformerBenchmarkOptions& options, const SamplerChoice& chosen,
                            const TransformerBenchmarkResult& result) {
  const double gflops_per_second = result.gflops_per_forward / (result.ms_per_forward / 1000.0);
  std::printf("| transformer parameters | %.1f M |\n", result.parameters / 1e6);
  std::printf("| transformer backbone tokens | %lld |\n", static_cast<long long>(result.tokens));
  std::printf("| transformer forward, batch %lld, %s (median of %lld) | %.1f ms |\n",
              static_cast<long long>(options.batch), precision_name(options.precision).c_str(),
              static_cast<long long>(options.repeats), result.ms_per_forward);
  std::printf("| transformer matrix work per forward | %.1f GFLOP (%.1f GFLOP/s) |\n", result.gflops_per_forward,
              gflops_per_second);
  std::vector<SamplerChoice> choices = {chosen};
  for (const auto preset : all_sampler_presets()) {
    if (!(preset_choice(preset) == chosen)) choices.push_back(preset_choice(preset));
  }
  for (const auto& choice : choices) {
    const double seconds = result.ms_per_forward * static_cast<double>(model_evaluations(choice.sampler, choice.steps)) / 1000.0;
    std::printf("| projected sampling, %s | %.1f s (%.1f min) |\n", describe(choice).c_str(), seconds, seconds / 60.0);
  }
}

// The operators that took the time of one forward, largest first, down to 99% of the total.
void print_profile(const std::vector<OpProfileRow>& profile) {
  double total_ms = 0.0;
  for (const auto& row : profile) total_ms += row.self_ms;
  std::printf("\n| operator (one forward) | calls | self ms | share |\n|---|---|---|---|\n");
  double shown_ms = 0.0;
  for (const auto& row : profile) {
    if (shown_ms >= 0.99 * total_ms) break;
    shown_ms += row.self_ms;
    std::printf("| %s | %lld | %.1f | %.1f%% |\n", row.name.c_str(), static_cast<long long>(row.calls), row.self_ms,
                100.0 * row.self_ms / total_ms);
  }
  std::printf("| total | | %.1f | |\n\n", total_ms);
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

void print_load_rows(const LoadBenchmarkOptions& options, const LoadBenchmarkResult& result) {
  constexpr double kMiB = 1024.0 * 1024.0;
  std::printf("| load generator (CLIP + transformer, %s) | %.2f s (%.2f s CPU) |\n",
              precision_name(options.precision).c_str(), result.generator.wall_seconds, result.generator.cpu_seconds);
  std::printf("| load decoder | %.2f s (%.2f s CPU) |\n", result.decoder.wall_seconds, result.decoder.cpu_seconds);
  std::printf("| load total | %.2f s (%.2f s CPU) |\n", result.total.wall_seconds, result.total.cpu_seconds);
  std::printf("| loaded models resident (RSS after - before) | %.0f MiB |\n", result.models_resident_bytes() / kMiB);
  std::printf("| peak RSS while loading%s | %.0f MiB (%.0f MiB over the %.0f MiB before: %.2fx the models) |\n",
              result.peak_covers_only_loading ? "" : " (whole run)", result.peak_resident_bytes / kMiB,
              result.peak_extra_bytes() / kMiB, result.resident_before_bytes / kMiB,
              static_cast<double>(result.peak_extra_bytes()) / static_cast<double>(result.models_resident_bytes()));
}

}  // namespace

int run_bench(const std::vector<std::string>& args) {
  const std::string configs = std::string(SHAPE_RESOURCES_DIR) + "/configs/";
  TransformerBenchmarkOptions transformer;
  transformer.config_path = configs + "text300M.yaml";
  DecoderBenchmarkOptions decoder;
  decoder.config_path = configs + "transmitter.yaml";
  bool run_transformer = true, run_decoder = true, run_load = false;
  LoadBenchmarkOptions load;
  load.generator.diffusion_config = configs + "diffusion.yaml";
  SamplerOptions sampler;
  std::string device = "cpu";
  PrecisionRequest precision = PrecisionRequest::kAuto;
  ArgumentReader reader(args);
  while (!reader.done()) {
    const auto option = reader.next();
    if (option == "--profile") {
      transformer.profile = true;
      continue;
    }
    if (sampler.parse(option, reader)) continue;
    const auto value = reader.value_of(option);
    if (option == "--only") {
      if (value != "transformer" && value != "decoder" && value != "load") {
        throw UsageError{"--only takes transformer, decoder or load"};
      }
      run_transformer = value == "transformer";
      run_decoder = value == "decoder";
      run_load = value == "load";
    } else if (option == "--config") {
      transformer.config_path = value;
    } else if (option == "--decoder-config") {
      decoder.config_path = value;
    } else if (option == "--load-dir") {
      // Full-size files in the official formats (the official ones or make_checkpoints.py's stand-ins).
      load.generator.transformer_weights = value + "/text_cond.pt";
      load.generator.clip_weights = value + "/ViT-L-14.pt";
      load.decoder_weights = value + "/transmitter.pt";
    } else if (option == "--batch") {
      transformer.batch = parse_count(option, value);
    } else if (option == "--repeats") {
      transformer.repeats = parse_count(option, value);
    } else if (option == "--precision") {
      precision = parse_precision_option(option, value);
    } else if (option == "--image-size") {
      decoder.image_sizes = {parse_count(option, value)};
    } else if (option == "--grid") {
      decoder.grid_sizes = {parse_count(option, value)};
    } else {
      throw UsageError{"unknown bench option '" + option + "'"};
    }
  }

  try {
    transformer.precision = resolve_precision(precision, device);
    decoder.precision = transformer.precision;
  } catch (const std::invalid_argument& error) {
    throw UsageError{error.what()};
  }
  load.generator.transformer_config = transformer.config_path;
  load.decoder_config = decoder.config_path;
  load.device = device;
  load.precision = transformer.precision;
  if (run_load && load.decoder_weights.empty()) throw UsageError{"--only load needs --load-dir DIR"};
  run_load = !load.decoder_weights.empty() && (run_load || (run_transformer && run_decoder));
  const auto& cpu = cpu_features();
  std::printf("%s\n", torch_runtime_summary().c_str());
  std::printf("CPU: %s (%s)\n", cpu.model_name.c_str(), cpu.isa_summary().c_str());
  std::printf("precision: %s\n", describe_precision(precision, device).c_str());
  if (run_transformer) std::printf("transformer config: %s\n", transformer.config_path.c_str());
  if (run_decoder) std::printf("decoder config: %s\n", decoder.config_path.c_str());
  std::printf("\n| measure | value |\n|---|---|\n");
  std::fflush(stdout);
  if (run_load) {  // first, so that its peak memory holds no other row's models
    print_load_rows(load, benchmark_loading(load));
    std::fflush(stdout);
  }
  if (run_transformer) {
    const auto result = benchmark_diffusion_transformer(transformer);
    print_transformer_rows(transformer, sampler.choice(), result);
    if (transformer.profile) print_profile(result.profile);
    std::fflush(stdout);
  }
  if (run_decoder) print_decoder_rows(decoder, benchmark_decoder(decoder));
  return 0;
}

}  // namespace shape::cli
