// Timing of the full-size Shap-E decoder (transmitter decoder half) with random weights: latent ->
// MLP weights, a NeRF image and an STF mesh. Torch-free header so the CLI stays a thin front end.
#pragma once

#include <cstdint>
#include <string>

namespace shape {

struct DecoderBenchmarkOptions {
  std::string config_path;        // shap-e Transmitter YAML (e.g. resources/configs/transmitter.yaml)
  int64_t image_size = 128;       // one NeRF view of image_size^2 pixels
  int64_t grid_size = 128;        // STF grid per axis
  int64_t ray_batch_size = 4096;  // rays per sampling batch
  int64_t points_per_chunk = 1 << 14;  // points per MLP call
  uint64_t seed = 0;              // random weights, latent and ray samples
};

struct DecoderBenchmarkResult {
  int64_t parameters = 0;            // parameters + buffers of the decoder
  double build_seconds = 0.0;        // constructing the decoder with random weights
  double params_projection_seconds = 0.0;  // latent [1, latent_ctx * d_latent] -> meta weights
  double nerf_seconds = 0.0;         // one image_size^2 view, coarse + fine samples
  int64_t nerf_rays = 0;
  int64_t nerf_rays_hitting_box = 0;  // only these run through the MLP
  int64_t nerf_samples_per_ray = 0;
  double stf_grid_query_seconds = 0.0;
  double stf_marching_cubes_seconds = 0.0;
  double stf_vertex_color_seconds = 0.0;
  double stf_total_seconds = 0.0;
  int64_t mesh_vertices = 0;
  int64_t mesh_triangles = 0;
  double peak_resident_mib = 0.0;    // getrusage ru_maxrss of the whole process so far
};

DecoderBenchmarkResult benchmark_decoder(const DecoderBenchmarkOptions& options);

}  // namespace shape
