// What latents decode to, for loss terms on shapes rather than latent values: the stage-1
// decoder's signed distance at query points, against a shape's true one (stage 1's SDF loss, and
// stage 2's decoded-shape terms: a prediction judged by the shape it would mesh to, not only by its
// distance in latent space, where colour and shape are mixed).
#pragma once

#include <cstdint>

#include <torch/types.h>

#include "inference/decoder/nerstf_mlp.h"
#include "inference/decoder/shape_decoder.h"
#include "inference/training/shape_dataset.h"

namespace shape::training {

// SDF targets are clamped so the tanh head is not driven into saturation far from the surface,
// where only the sign matters.
constexpr double kSdfClamp = 0.5;

// The STF fields at `points` [B, Q, 3], queried without a direction as the mesher does.
NerstfFields stf_fields(ShapeDecoderImpl& decoder, const torch::Tensor& points, const MetaParameters& params);

// Per query [B, Q]: how far the predicted signed distance is from the (clamped) target [B, Q].
torch::Tensor signed_distance_errors(const NerstfFields& stf, const torch::Tensor& target_sdf);

// The signed distance [B, Q] that latents [B, d] decode to at points [B, Q, 3] (differentiable in
// the latents).
torch::Tensor decoded_signed_distances(ShapeDecoderImpl& decoder, const torch::Tensor& latents,
                                       const torch::Tensor& points);

// Fixed query points of every shape of a dataset with their true signed distances (positive
// inside): `near_surface` near its surface then `uniform` anywhere in the [-1, 1] cube.
struct ShapeQueries {
  torch::Tensor points;  // [shapes, near_surface + uniform, 3]
  torch::Tensor sdf;     // [shapes, near_surface + uniform]
};
ShapeQueries sample_shape_queries(const ShapeDataset& dataset, uint64_t seed, int64_t near_surface, int64_t uniform);

}  // namespace shape::training
