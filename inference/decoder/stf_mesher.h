// Mesh extraction from the NeRSTF field, as shap-e's STF rendering path builds its meshes: signed
// distances on a grid, a -1 border that closes the surface, marching cubes, then texture colours
// queried at the vertices and converted from sRGB to linear. The grid is sampled coarse to fine by
// default (grid_refinement.h: the same mesh for a fraction of the queries) or densely, as shap-e.
#pragma once

#include <cstdint>

#include <torch/types.h>

#include "inference/decoder/decoder_config.h"
#include "inference/decoder/grid_refinement.h"
#include "inference/decoder/meta_parameters.h"
#include "inference/decoder/nerstf_mlp.h"
#include "inference/mesh/mesh.h"

namespace shape {

enum class StfGridSampling {
  kCoarseToFine,  // the MLP only near the surface; the mesh equals the dense one (grid_refinement.h)
  kDense,         // every grid point, as shap-e; the only mode that fills raw_signed_distance/density
};

struct StfMeshOptions {
  int64_t grid_size = 128;             // samples per axis (the real config uses 128; up to 256 is fine)
  int64_t points_per_chunk = 1 << 14;  // points per MLP call, bounding memory at any grid size
  bool output_srgb = true;             // the model predicts sRGB; vertex colours are returned linear
  StfGridSampling sampling = StfGridSampling::kCoarseToFine;
  GridRefinementOptions refinement;    // for kCoarseToFine
};

// Wall time of each stage, for progress reports and benchmarks.
struct StfMeshTimings {
  double grid_query_seconds = 0.0;  // the grid's SDF, coarse to fine or dense
  int64_t grid_points_queried = 0;
  double marching_cubes_seconds = 0.0;
  double vertex_color_seconds = 0.0;  // colour query + building the plain mesh
};

struct StfMeshResult {
  torch::Tensor raw_signed_distance;  // [grid^3, 1] at volume_query_points order (kDense only)
  torch::Tensor raw_density;          // [grid^3, 1] (kDense only)
  // [grid + 2]^3: the SDF grid inside a -1 border (kCoarseToFine: blended where not evaluated)
  torch::Tensor fields;
  torch::Tensor vertices;             // [V, 3] float32 in the bounding box
  torch::Tensor faces;                // [F, 3] int64, as marching cubes emits them
  torch::Tensor vertex_colors;        // [V, 3] linear RGB in [0, 1]
  Mesh mesh;                          // the same surface as plain data, with normals
  StfMeshTimings timings;

  bool has_surface() const { return faces.defined() && faces.size(0) > 0; }
};

// Grid sample positions [grid^3, 3], x-major (index = (x * grid + y) * grid + z), spanning the box.
torch::Tensor volume_query_points(const BoundingBoxConfig& volume, int64_t grid_size,
                                  const torch::TensorOptions& options = {});

// params: the meta parameters of ONE latent ([1, ...] tensors). An SDF without a zero crossing
// gives an empty mesh (shap-e substitutes a dummy triangle and a false mesh_mask instead).
StfMeshResult extract_stf_mesh(NerstfMlpImpl& mlp, const MetaParameters& params, const BoundingBoxConfig& volume,
                               const StfMeshOptions& options);

// shap-e's _convert_srgb_to_linear.
torch::Tensor srgb_to_linear(const torch::Tensor& srgb);

}  // namespace shape
