// Coarse-to-fine sampling of the STF signed distance on its N^3 grid: the field is evaluated on a
// lattice of stride S (a power of two), then only inside the blocks that may hold the surface, each
// halved until the stride is 1. Every point left out takes a value of its block's sign (the
// trilinear blend of the block's corners, all of one sign).
//
// When the mesh equals the dense grid's. Marching cubes reads only the sign of every point (v > 0
// is inside) and the values at both ends of every edge whose sign changes. Evaluated points hold
// the dense grid's values bit for bit where an MLP result does not depend on the other points of
// its batch (nerf_positional_encoding works point by point; batches are padded to sizes where
// OpenBLAS's AVX-512 kernels round the matrix products alike). Its AVX2 kernels (CPUs without
// AVX-512, and those Debian 12's OpenBLAS does not know, such as AMD Zen 5) round a point ~1e-7
// apart by its batch, so there the mesh may differ where that flips a near-zero value's sign
// (the tests compare the two as surfaces). After the levels, a check refines, down to stride 1, the
// blocks holding any point left out that is a corner of a cell (of the grid padded with the -1
// border) whose corners differ in sign, and repeats until no such cell is left. Then the mesh is the
// dense one, vertices and faces, unless some 6-connected region of inside points, or of outside
// points, of the dense grid holds no evaluated point at all. (Walking from an evaluated point of a
// region to a point of it that was given the wrong sign crosses an edge whose two ends differ in
// sign with one end left out, which the check would have refined.) The whole first lattice is
// evaluated, so what can be missed is only a piece fitting between its points: a separate blob, or
// a bubble, less than `coarse_stride` grid steps across, that the band left alone. A block is
// refined when its corners differ in sign, when it touches the box's faces with an inside corner
// (the border is outside), or when some corner has |v| <= slope_safety * g * d, with d half the
// block's diagonal and g the steepest slope (|dv| per grid step) from a corner to an evaluated point
// one stride away along an axis (the block's edges and its neighbours'): if the field is nowhere
// steeper inside the block than slope_safety * g, every point is within d of a corner whose |v|
// exceeds what the field can change over d, so the block holds no zero.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <torch/types.h>

namespace shape {

// The field at grid points given by flat x-major indices ((x * N + y) * N + z), [count] int64 ->
// [count] float32 (on the CPU).
using GridFieldQuery = std::function<torch::Tensor(const torch::Tensor& flat_indices)>;

struct GridRefinementOptions {
  int64_t coarse_stride = 8;  // stride of the first lattice, a power of two
  double slope_safety = 1.0;  // the band's slope bound, in units of the block's steepest edge slope
};

struct RefinedGrid {
  std::vector<float> values;     // [N^3] x-major: the field where evaluated, else the block's blend
  int64_t evaluated_points = 0;  // MLP queries made, closure included
  int64_t closure_points = 0;    // of those, the ones the check added
};

RefinedGrid sample_grid_coarse_to_fine(int64_t grid_size, const GridFieldQuery& query,
                                       const GridRefinementOptions& options = {});

}  // namespace shape
