// Where the NeRF field may absorb light, for the renderer's fast path (NerfRenderOptions::occupancy):
// the density heads (coarse and fine) are queried at the corners of r^3 cells spanning the box, once
// per latent; a cell is occupied when the density at one of its corners exceeds the threshold, and
// so are its 26 neighbours (a thin part can pass between the corners). Samples in other cells skip
// the MLP. A field denser than the threshold only between the corners of a cell and of its
// neighbours is missed: this is an approximation, unlike the exact path.
#pragma once

#include <cstdint>

#include <torch/types.h>

#include "inference/decoder/decoder_config.h"
#include "inference/decoder/meta_parameters.h"
#include "inference/decoder/nerstf_mlp.h"

namespace shape {

struct OccupancyGridOptions {
  int64_t resolution = 32;          // cells per axis
  // Light crossing the whole box (diagonal 3.5) at this density keeps exp(-0.035) = 96.6% of itself.
  double density_threshold = 1e-2;
  int64_t points_per_chunk = 1 << 14;  // corners per MLP call
};

class OccupancyGrid {
 public:
  // For every latent of `params` ([batch, ...] meta parameters).
  OccupancyGrid(NerstfMlpImpl& mlp, const MetaParameters& params, const BoundingBoxConfig& volume,
                const OccupancyGridOptions& options = {});

  // positions [..., 3] -> [...] bool: in an occupied cell of latent `latent` (false outside the box).
  torch::Tensor occupied(const torch::Tensor& positions, int64_t latent) const;
  double occupied_fraction() const;  // of the cells, over all latents

 private:
  BoundingBoxConfig volume_;
  int64_t resolution_;
  torch::Tensor cells_;  // [batch, r^3] bool, x-major
};

}  // namespace shape
