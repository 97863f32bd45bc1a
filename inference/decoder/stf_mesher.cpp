#include "inference/decoder/stf_mesher.h"

#include <chrono>

#include <torch/torch.h>

#include "inference/mesh/marching_cubes.h"

namespace shape {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Grid points [count, 3] at flat grid indices [count].
torch::Tensor grid_points(const BoundingBoxConfig& volume, int64_t grid_size, const torch::Tensor& index,
                          const torch::TensorOptions& options) {
  const auto z = index.remainder(grid_size);
  const auto y = index.div(grid_size, "trunc").remainder(grid_size);
  const auto x = index.div(grid_size * grid_size, "trunc").remainder(grid_size);
  // float32 arithmetic as shap-e, then the caller's dtype.
  const auto float_options = options.dtype(torch::kFloat32);
  const auto low = torch::tensor({volume.bbox_min[0], volume.bbox_min[1], volume.bbox_min[2]}, torch::kFloat32).to(float_options);
  const auto high = torch::tensor({volume.bbox_max[0], volume.bbox_max[1], volume.bbox_max[2]}, torch::kFloat32).to(float_options);
  const auto points = (torch::stack({x, y, z}, 1).to(torch::kFloat32) / static_cast<double>(grid_size - 1)) * (high - low) + low;
  return points.to(options.dtype());
}

// Grid points [count, 3] for flat grid indices [start, start + count).
torch::Tensor grid_points(const BoundingBoxConfig& volume, int64_t grid_size, int64_t start, int64_t count,
                          const torch::TensorOptions& options) {
  return grid_points(volume, grid_size, torch::arange(start, start + count, options.dtype(torch::kLong)), options);
}

// Below this many points an MLP call can round differently (BLAS picks other kernels for small
// products), so the coarse-to-fine queries pad smaller batches to keep the dense grid's values.
constexpr int64_t kSmallestExactBatch = 1024;

// The grid's SDF [grid^3] (and density, as shap-e computes it) at every point, chunk by chunk.
StfMeshResult query_dense_grid(NerstfMlpImpl& mlp, const MetaParameters& params, const BoundingBoxConfig& volume,
                               const StfMeshOptions& options, const torch::TensorOptions& value_options) {
  const int64_t grid = options.grid_size;
  const int64_t total = grid * grid * grid;
  std::vector<torch::Tensor> signed_distance, density;
  for (int64_t start = 0; start < total; start += options.points_per_chunk) {
    const int64_t count = std::min(options.points_per_chunk, total - start);
    const auto points = grid_points(volume, grid, start, count, value_options).unsqueeze(0);
    const auto fields = mlp.activate(mlp.forward_raw(points, torch::Tensor(), params), NerfLevel::kFine, FieldMode::kStf);
    signed_distance.push_back(fields.signed_distance[0]);
    density.push_back(fields.density[0]);
  }
  StfMeshResult result;
  result.raw_signed_distance = torch::cat(signed_distance, 0);
  result.raw_density = torch::cat(density, 0);
  result.fields = result.raw_signed_distance.to(torch::kFloat32).view({grid, grid, grid});
  result.timings.grid_points_queried = total;
  return result;
}

StfMeshResult query_grid_coarse_to_fine(NerstfMlpImpl& mlp, const MetaParameters& params,
                                        const BoundingBoxConfig& volume, const StfMeshOptions& options,
                                        const torch::TensorOptions& value_options) {
  const int64_t grid = options.grid_size;
  const GridFieldQuery query = [&](const torch::Tensor& flat_indices) {
    const int64_t count = flat_indices.size(0);
    std::vector<torch::Tensor> values;
    for (int64_t start = 0; start < count; start += options.points_per_chunk) {
      const int64_t chunk = std::min(options.points_per_chunk, count - start);
      auto indices = flat_indices.narrow(0, start, chunk).to(value_options.dtype(torch::kLong));
      if (chunk < kSmallestExactBatch) {
        indices = torch::cat({indices, indices[0].expand({kSmallestExactBatch - chunk})});
      }
      const auto points = grid_points(volume, grid, indices, value_options).unsqueeze(0);
      const auto fields = mlp.activate(mlp.forward_raw(points, torch::Tensor(), params), NerfLevel::kFine, FieldMode::kStf);
      values.push_back(fields.signed_distance[0].narrow(0, 0, chunk).view({chunk}));
    }
    return torch::cat(values).to(torch::kCPU, torch::kFloat32);
  };
  auto refined = sample_grid_coarse_to_fine(grid, query, options.refinement);
  StfMeshResult result;
  result.fields = torch::from_blob(refined.values.data(), {grid, grid, grid}, torch::kFloat32).clone();
  result.timings.grid_points_queried = refined.evaluated_points;
  return result;
}

// Area-weighted vertex normals: each face adds its (twice-area-long) normal to its corners.
torch::Tensor vertex_normals(const torch::Tensor& vertices, const torch::Tensor& faces) {
  const auto v0 = vertices.index_select(0, faces.select(1, 0));
  const auto v1 = vertices.index_select(0, faces.select(1, 1));
  const auto v2 = vertices.index_select(0, faces.select(1, 2));
  const auto face_normals = torch::cross(v1 - v0, v2 - v0, 1);
  auto normals = torch::zeros_like(vertices);
  for (int64_t corner = 0; corner < 3; ++corner) normals.index_add_(0, faces.select(1, corner), face_normals);
  return normals / normals.norm(2, 1, true).clamp_min(1e-12);
}

Mesh to_plain_mesh(const torch::Tensor& vertices, const torch::Tensor& faces, const torch::Tensor& colors) {
  Mesh mesh;
  const auto positions = vertices.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  const auto triangles = faces.to(torch::kCPU, torch::kLong).contiguous();
  const auto normals = vertex_normals(positions, triangles).contiguous();
  const auto rgb = colors.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  const int64_t n_vertices = positions.size(0), n_faces = triangles.size(0);
  const float* p = positions.data_ptr<float>();
  const float* n = normals.data_ptr<float>();
  const float* c = rgb.data_ptr<float>();
  const int64_t* t = triangles.data_ptr<int64_t>();
  mesh.positions.resize(n_vertices);
  mesh.normals.resize(n_vertices);
  mesh.colors.resize(n_vertices);
  for (int64_t i = 0; i < n_vertices; ++i) {
    for (int k = 0; k < 3; ++k) {
      mesh.positions[i][k] = p[3 * i + k];
      mesh.normals[i][k] = n[3 * i + k];
      mesh.colors[i][k] = c[3 * i + k];
    }
  }
  mesh.triangles.resize(n_faces);
  for (int64_t i = 0; i < n_faces; ++i) {
    for (int k = 0; k < 3; ++k) mesh.triangles[i][k] = static_cast<uint32_t>(t[3 * i + k]);
  }
  return mesh;
}

}  // namespace

torch::Tensor volume_query_points(const BoundingBoxConfig& volume, int64_t grid_size, const torch::TensorOptions& options) {
  return grid_points(volume, grid_size, 0, grid_size * grid_size * grid_size, options);
}

torch::Tensor srgb_to_linear(const torch::Tensor& srgb) {
  return torch::where(srgb <= 0.04045, srgb / 12.92, torch::pow((srgb + 0.055) / 1.055, 2.4));
}

StfMeshResult extract_stf_mesh(NerstfMlpImpl& mlp, const MetaParameters& params, const BoundingBoxConfig& volume,
                               const StfMeshOptions& options) {
  const int64_t grid = options.grid_size;
  TORCH_CHECK(grid >= 2, "grid_size must be at least 2");
  TORCH_CHECK(options.points_per_chunk > 0, "points_per_chunk must be positive");
  TORCH_CHECK(!params.empty() && params.begin()->second.size(0) == 1, "extract_stf_mesh decodes one latent at a time");
  const auto value_options = field_options(params);

  auto stage_start = std::chrono::steady_clock::now();
  StfMeshResult result = options.sampling == StfGridSampling::kDense
                             ? query_dense_grid(mlp, params, volume, options, value_options)
                             : query_grid_coarse_to_fine(mlp, params, volume, options, value_options);
  // A negative (outside) border closes every surface that touches the box.
  result.fields = torch::constant_pad_nd(result.fields, {1, 1, 1, 1, 1, 1}, -1.0);

  result.timings.grid_query_seconds = seconds_since(stage_start);

  // The mesh spans the padded grid mapped onto the box, as in shap-e.
  stage_start = std::chrono::steady_clock::now();
  std::array<float, 3> size{};
  for (int k = 0; k < 3; ++k) size[k] = volume.bbox_max[k] - volume.bbox_min[k];
  auto surface = marching_cubes(result.fields.detach(), volume.bbox_min, size);
  result.vertices = surface.vertices;
  result.faces = surface.faces;
  result.timings.marching_cubes_seconds = seconds_since(stage_start);

  stage_start = std::chrono::steady_clock::now();

  if (result.vertices.size(0) > 0) {
    const auto at_vertices = result.vertices.to(value_options).unsqueeze(0);
    auto colors = mlp.query(at_vertices, torch::Tensor(), params, NerfLevel::kFine, FieldMode::kStf,
                            options.points_per_chunk)
                      .channels[0];
    result.vertex_colors = options.output_srgb ? srgb_to_linear(colors) : colors;
  } else {
    result.vertex_colors = torch::zeros({0, 3}, value_options);
  }
  result.mesh = to_plain_mesh(result.vertices, result.faces, result.vertex_colors);
  result.timings.vertex_color_seconds = seconds_since(stage_start);
  return result;
}

}  // namespace shape
