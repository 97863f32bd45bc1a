// The decoder benchmark at a small image / grid size (`shape-cli bench` runs it at full size).
#include <gtest/gtest.h>

#include <iostream>

#include "inference/decoder/decoder_benchmark.h"

namespace shape {
namespace {

DecoderBenchmarkOptions shipped_config_options() {
  DecoderBenchmarkOptions options;
  options.config_path = std::string(SHAPE_RESOURCES_DIR) + "/configs/transmitter.yaml";
  return options;
}

void print(const DecoderBenchmarkResult& r) {
  std::cout << "decoder parameters " << r.parameters << ", build " << r.build_seconds << " s\n"
            << "params projection " << r.params_projection_seconds * 1000 << " ms\n";
  for (const auto& nerf : r.nerf) {
    std::cout << "nerf " << nerf.image_size << "^2: " << nerf.rays << " rays (" << nerf.rays_hitting_box
              << " hit the box) x " << nerf.samples_per_ray << " samples: exact " << nerf.exact_seconds << " s, fast "
              << nerf.fast_seconds << " s (" << nerf.fast_samples_queried << " of " << nerf.exact_samples_queried
              << " queries)\n";
  }
  std::cout << "occupancy grid " << r.occupancy_grid_seconds << " s, " << r.occupied_fraction * 100 << "% occupied\n";
  for (const auto& stf : r.stf) {
    std::cout << "stf " << stf.grid_size << "^3: grid query " << stf.grid_query_seconds << " s ("
              << stf.grid_points_queried << " points), marching cubes " << stf.marching_cubes_seconds
              << " s, colours " << stf.vertex_color_seconds << " s, total " << stf.total_seconds << " s, "
              << stf.vertices << " vertices, " << stf.triangles << " triangles\n";
  }
  std::cout << "peak resident " << r.peak_resident_mib << " MiB\n";
}

TEST(DecoderBenchmark, SmallRunReportsEveryFigure) {
  auto options = shipped_config_options();
  options.image_sizes = {16, 8};
  options.grid_sizes = {32};
  const auto result = benchmark_decoder(options);
  print(result);
  EXPECT_GT(result.parameters, 225'000'000);  // params_proj alone is 225.9M
  EXPECT_GT(result.params_projection_seconds, 0.0);
  ASSERT_EQ(result.nerf.size(), 2u);
  EXPECT_EQ(result.nerf[0].rays, 256);
  EXPECT_EQ(result.nerf[1].rays, 64);
  EXPECT_GT(result.nerf[0].rays_hitting_box, 0);
  EXPECT_EQ(result.nerf[0].samples_per_ray, 192);
  EXPECT_EQ(result.nerf[0].exact_samples_queried, 192 * result.nerf[0].rays_hitting_box);
  EXPECT_LT(result.nerf[0].fast_samples_queried, result.nerf[0].exact_samples_queried);  // the blob is a solid
  EXPECT_GT(result.occupied_fraction, 0.1);
  EXPECT_LT(result.occupied_fraction, 0.9);
  ASSERT_EQ(result.stf.size(), 1u);
  EXPECT_GT(result.stf[0].triangles, 0);  // the random decoder is shaped into a blob
  EXPECT_GT(result.stf[0].grid_points_queried, 0);
  EXPECT_LT(result.stf[0].grid_points_queried, 32 * 32 * 32);
  EXPECT_GT(result.stf[0].total_seconds, 0.0);
  EXPECT_GT(result.peak_resident_mib, 900.0);
}

TEST(DecoderBenchmark, Bf16QueriesMakeASimilarMesh) {
  auto options = shipped_config_options();
  options.image_sizes = {8};
  options.grid_sizes = {32};
  const auto float32 = benchmark_decoder(options);
  options.precision = Precision::kBFloat16;
  const auto bf16 = benchmark_decoder(options);
  print(bf16);
  const double triangles = static_cast<double>(float32.stf[0].triangles);
  EXPECT_NEAR(static_cast<double>(bf16.stf[0].triangles), triangles, 0.05 * triangles);
}

}  // namespace
}  // namespace shape
