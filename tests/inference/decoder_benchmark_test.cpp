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
            << "params projection " << r.params_projection_seconds * 1000 << " ms\n"
            << "nerf " << r.nerf_rays << " rays (" << r.nerf_rays_hitting_box << " hit the box) x "
            << r.nerf_samples_per_ray << " samples: " << r.nerf_seconds << " s\n"
            << "stf grid query " << r.stf_grid_query_seconds << " s, marching cubes " << r.stf_marching_cubes_seconds
            << " s, colours " << r.stf_vertex_color_seconds << " s, total " << r.stf_total_seconds << " s\n"
            << "mesh " << r.mesh_vertices << " vertices, " << r.mesh_triangles << " triangles\n"
            << "peak resident " << r.peak_resident_mib << " MiB\n";
}

TEST(DecoderBenchmark, SmallRunReportsEveryFigure) {
  auto options = shipped_config_options();
  options.image_size = 16;
  options.grid_size = 32;
  const auto result = benchmark_decoder(options);
  print(result);
  EXPECT_GT(result.parameters, 225'000'000);  // params_proj alone is 225.9M
  EXPECT_GT(result.params_projection_seconds, 0.0);
  EXPECT_EQ(result.nerf_rays, 256);
  EXPECT_GT(result.nerf_rays_hitting_box, 0);
  EXPECT_EQ(result.nerf_samples_per_ray, 192);
  EXPECT_GT(result.mesh_triangles, 0);  // the random decoder is shaped into a blob
  EXPECT_GT(result.stf_total_seconds, 0.0);
  EXPECT_GT(result.peak_resident_mib, 900.0);
}

}  // namespace
}  // namespace shape
