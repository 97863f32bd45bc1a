#include "inference/decoder/decoder_benchmark.h"

#include <sys/resource.h>

#include <chrono>

#include <torch/torch.h>

#include "inference/decoder/random_decoder.h"
#include "inference/precision_dtype.h"

namespace shape {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double peak_resident_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

}  // namespace

DecoderBenchmarkResult benchmark_decoder(const DecoderBenchmarkOptions& options) {
  torch::NoGradGuard no_grad;
  const auto config = load_decoder_config(options.config_path);
  DecoderBenchmarkResult result;

  auto start = std::chrono::steady_clock::now();
  auto blob = make_random_blob_decoder(config, options.seed);
  auto& decoder = blob.decoder;
  result.build_seconds = seconds_since(start);
  for (const auto& parameter : decoder->parameters()) result.parameters += parameter.numel();
  for (const auto& buffer : decoder->buffers()) result.parameters += buffer.numel();

  decoder->set_query_precision(options.precision);
  const auto latent = torch::tanh(torch::randn({1, config.flat_latent_size()}));
  start = std::chrono::steady_clock::now();
  decoder->latent_to_params(latent);
  result.params_projection_seconds = seconds_since(start);
  // The blob's own meta parameters (made at float32), in the MLP's dtype.
  MetaParameters blob_params;
  for (const auto& [name, tensor] : blob.params) blob_params[name] = tensor.to(scalar_type_of(options.precision));

  NerfRenderOptions render_options;
  render_options.ray_batch_size = options.ray_batch_size;
  render_options.points_per_chunk = options.points_per_chunk;
  start = std::chrono::steady_clock::now();
  const OccupancyGrid occupancy(decoder->mlp(), blob_params, config.volume);
  result.occupancy_grid_seconds = seconds_since(start);
  result.occupied_fraction = occupancy.occupied_fraction();
  NerfRenderOptions fast_options = render_options;
  fast_options.occupancy = &occupancy;
  fast_options.termination_transmittance = kFastPathTermination;
  for (const int64_t size : options.image_sizes) {
    const auto camera = create_pan_cameras(size).front();
    NerfBenchmarkRow row;
    row.image_size = size;
    row.samples_per_ray = config.n_coarse_samples + config.n_fine_samples;
    start = std::chrono::steady_clock::now();
    const auto exact = decoder->render_views(blob_params, {camera}, render_options, options.seed);
    row.exact_seconds = seconds_since(start);
    row.exact_samples_queried = exact.samples_queried;
    row.rays = exact.channels.numel() / 3;
    row.rays_hitting_box = exact.intersected.sum().item<int64_t>();
    start = std::chrono::steady_clock::now();
    const auto fast = decoder->render_views(blob_params, {camera}, fast_options, options.seed);
    row.fast_seconds = seconds_since(start);
    row.fast_samples_queried = fast.samples_queried;
    result.nerf.push_back(row);
  }

  auto mesh_options = decoder->default_mesh_options();
  mesh_options.points_per_chunk = options.points_per_chunk;
  mesh_options.sampling = options.dense_grid ? StfGridSampling::kDense : StfGridSampling::kCoarseToFine;
  for (const int64_t grid : options.grid_sizes) {
    mesh_options.grid_size = grid;
    start = std::chrono::steady_clock::now();
    const auto mesh = decoder->extract_mesh(blob_params, mesh_options);
    StfBenchmarkRow row;
    row.grid_size = grid;
    row.total_seconds = seconds_since(start);
    row.grid_query_seconds = mesh.timings.grid_query_seconds;
    row.grid_points_queried = mesh.timings.grid_points_queried;
    row.marching_cubes_seconds = mesh.timings.marching_cubes_seconds;
    row.vertex_color_seconds = mesh.timings.vertex_color_seconds;
    row.vertices = mesh.vertices.size(0);
    row.triangles = mesh.faces.size(0);
    result.stf.push_back(row);
  }
  result.peak_resident_mib = peak_resident_mib();
  return result;
}

}  // namespace shape
