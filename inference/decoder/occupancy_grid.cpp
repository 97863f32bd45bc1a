#include "inference/decoder/occupancy_grid.h"

#include <torch/torch.h>

#include "inference/decoder/stf_mesher.h"

namespace shape {

OccupancyGrid::OccupancyGrid(NerstfMlpImpl& mlp, const MetaParameters& params, const BoundingBoxConfig& volume,
                             const OccupancyGridOptions& options)
    : volume_(volume), resolution_(options.resolution) {
  TORCH_CHECK(options.resolution >= 1, "the occupancy grid needs at least one cell per axis");
  const int64_t corners = options.resolution + 1;
  const auto points = volume_query_points(volume, corners, field_options(params)).unsqueeze(0);
  const int64_t batch = params.begin()->second.size(0);
  std::vector<torch::Tensor> cells;
  for (int64_t b = 0; b < batch; ++b) {
    const auto latent = batch == 1 ? params : select_latent(params, b);
    std::vector<torch::Tensor> densities;
    for (int64_t start = 0; start < points.size(1); start += options.points_per_chunk) {
      const auto chunk = points.narrow(1, start, std::min(options.points_per_chunk, points.size(1) - start));
      const auto raw = mlp.forward_raw(chunk, torch::Tensor(), latent);
      densities.push_back(torch::maximum(mlp.activate(raw, NerfLevel::kCoarse, FieldMode::kNerf).density,
                                         mlp.activate(raw, NerfLevel::kFine, FieldMode::kNerf).density));
    }
    const auto dense = (torch::cat(densities, 1) > options.density_threshold).to(torch::kFloat32);
    // A cell with a dense corner (2^3 window over corners), then its neighbours (3^3 window).
    const auto any_corner = torch::max_pool3d(dense.view({1, 1, corners, corners, corners}), 2, 1);
    cells.push_back(torch::max_pool3d(any_corner, 3, 1, 1).view({-1}) > 0);
  }
  cells_ = torch::stack(cells);
}

torch::Tensor OccupancyGrid::occupied(const torch::Tensor& positions, int64_t latent) const {
  const auto low = torch::tensor({volume_.bbox_min[0], volume_.bbox_min[1], volume_.bbox_min[2]}).to(positions.options());
  const auto high = torch::tensor({volume_.bbox_max[0], volume_.bbox_max[1], volume_.bbox_max[2]}).to(positions.options());
  const auto scaled = (positions - low) / (high - low) * static_cast<double>(resolution_);
  const auto inside = ((scaled >= 0) & (scaled <= static_cast<double>(resolution_))).all(-1);
  const auto cell = scaled.floor().clamp(0, resolution_ - 1).to(torch::kLong);
  const auto flat = (cell.select(-1, 0) * resolution_ + cell.select(-1, 1)) * resolution_ + cell.select(-1, 2);
  return cells_[latent].index({flat}) & inside;
}

double OccupancyGrid::occupied_fraction() const { return cells_.to(torch::kFloat32).mean().item<double>(); }

}  // namespace shape
