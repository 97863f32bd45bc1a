// Timing of the full-size Shap-E decoder (transmitter decoder half) with random weights: latent ->
// MLP weights, NeRF images and STF meshes. Torch-free header so the CLI stays a thin front end.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "inference/precision.h"

namespace shape {

struct DecoderBenchmarkOptions {
  std::string config_path;                      // shap-e Transmitter YAML (e.g. resources/configs/transmitter.yaml)
  std::vector<int64_t> image_sizes = {64, 128};  // one NeRF view of size^2 pixels each
  std::vector<int64_t> grid_sizes = {128, 256};  // one STF mesh per grid size
  int64_t ray_batch_size = 4096;                // rays per sampling batch
  int64_t points_per_chunk = 1 << 14;           // points per MLP call
  uint64_t seed = 0;                            // random weights, latent and ray samples
  Precision precision = Precision::kFloat32;    // of the MLP queries (ShapeDecoderImpl::set_query_precision)
  bool dense_grid = false;                      // STF: query every grid point instead of coarse to fine
};

struct NerfBenchmarkRow {
  int64_t image_size = 0;
  int64_t rays = 0;
  int64_t rays_hitting_box = 0;      // only these run through the MLP
  int64_t samples_per_ray = 0;
  double exact_seconds = 0.0;        // shap-e's render: coarse + fine samples
  int64_t exact_samples_queried = 0;
  double fast_seconds = 0.0;         // the renderer's fast path, the occupancy grid already built
  int64_t fast_samples_queried = 0;
};

struct StfBenchmarkRow {
  int64_t grid_size = 0;
  double grid_query_seconds = 0.0;
  int64_t grid_points_queried = 0;   // of grid_size^3
  double marching_cubes_seconds = 0.0;
  double vertex_color_seconds = 0.0;
  double total_seconds = 0.0;
  int64_t vertices = 0;
  int64_t triangles = 0;
};

struct DecoderBenchmarkResult {
  int64_t parameters = 0;                  // parameters + buffers of the decoder
  double build_seconds = 0.0;              // constructing the decoder with random weights
  double params_projection_seconds = 0.0;  // latent [1, latent_ctx * d_latent] -> meta weights
  double occupancy_grid_seconds = 0.0;     // the fast path's grid, once per latent
  double occupied_fraction = 0.0;          // of its cells
  std::vector<NerfBenchmarkRow> nerf;      // one per image size
  std::vector<StfBenchmarkRow> stf;        // one per grid size
  double peak_resident_mib = 0.0;          // getrusage ru_maxrss of the whole process so far
};

DecoderBenchmarkResult benchmark_decoder(const DecoderBenchmarkOptions& options);

}  // namespace shape
