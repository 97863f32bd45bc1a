#include "inference/decoder/decoder_benchmark.h"

#include <sys/resource.h>

#include <chrono>

#include <torch/torch.h>

#include "inference/decoder/random_decoder.h"

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

  const auto latent = torch::tanh(torch::randn({1, config.flat_latent_size()}));
  start = std::chrono::steady_clock::now();
  decoder->latent_to_params(latent);
  result.params_projection_seconds = seconds_since(start);
  const auto& params = blob.params;

  NerfRenderOptions render_options;
  render_options.ray_batch_size = options.ray_batch_size;
  render_options.points_per_chunk = options.points_per_chunk;
  SeededRaySampleRandomness randomness(options.seed);
  const auto camera = create_pan_cameras(options.image_size).front();
  start = std::chrono::steady_clock::now();
  const auto image = decoder->render_views(params, {camera}, render_options, randomness);
  result.nerf_seconds = seconds_since(start);
  result.nerf_rays = image.channels.numel() / 3;
  result.nerf_rays_hitting_box = image.intersected.sum().item<int64_t>();
  result.nerf_samples_per_ray = config.n_coarse_samples + config.n_fine_samples;

  auto mesh_options = decoder->default_mesh_options();
  mesh_options.grid_size = options.grid_size;
  mesh_options.points_per_chunk = options.points_per_chunk;
  start = std::chrono::steady_clock::now();
  const auto mesh = decoder->extract_mesh(params, mesh_options);
  result.stf_total_seconds = seconds_since(start);
  result.stf_grid_query_seconds = mesh.timings.grid_query_seconds;
  result.stf_marching_cubes_seconds = mesh.timings.marching_cubes_seconds;
  result.stf_vertex_color_seconds = mesh.timings.vertex_color_seconds;
  result.mesh_vertices = mesh.vertices.size(0);
  result.mesh_triangles = mesh.faces.size(0);
  result.peak_resident_mib = peak_resident_mib();
  return result;
}

}  // namespace shape
