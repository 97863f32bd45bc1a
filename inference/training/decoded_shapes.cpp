#include "inference/training/decoded_shapes.h"

#include <vector>

namespace shape::training {

NerstfFields stf_fields(ShapeDecoderImpl& decoder, const torch::Tensor& points, const MetaParameters& params) {
  auto& mlp = decoder.mlp();
  return mlp.activate(mlp.forward_raw(points, {}, params), NerfLevel::kFine, FieldMode::kStf);
}

torch::Tensor signed_distance_errors(const NerstfFields& stf, const torch::Tensor& target_sdf) {
  return (stf.signed_distance.squeeze(-1) - target_sdf.clamp(-kSdfClamp, kSdfClamp)).abs();
}

torch::Tensor decoded_signed_distances(ShapeDecoderImpl& decoder, const torch::Tensor& latents,
                                       const torch::Tensor& points) {
  return stf_fields(decoder, points, decoder.latent_to_params(latents)).signed_distance.squeeze(-1);
}

ShapeQueries sample_shape_queries(const ShapeDataset& dataset, uint64_t seed, int64_t near_surface, int64_t uniform) {
  SampleOptions sampling;
  sampling.surface_points = 1;  // the encoder's input is not needed
  sampling.near_surface_points = near_surface;
  sampling.uniform_points = uniform;
  std::vector<torch::Tensor> points, sdf;
  for (int64_t i = 0; i < dataset.size(); ++i) {
    auto sample = dataset.sample(i, seed, sampling);
    points.push_back(std::move(sample.query_points));
    sdf.push_back(std::move(sample.query_sdf));
  }
  return {torch::stack(points), torch::stack(sdf)};
}

}  // namespace shape::training
