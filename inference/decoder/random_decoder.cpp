#include "inference/decoder/random_decoder.h"

#include <torch/torch.h>

namespace shape {
namespace {

// Random weights give a field of pure high-frequency noise, whose "mesh" would be unlike any real
// one. Silence the positional-encoding frequencies above 2^3 in the first layer's projection.
void silence_high_frequencies(ShapeDecoderImpl& decoder) {
  const auto first = "encoder.params_proj.projections." + projection_key(decoder.config().meta_tensors().front().name);
  auto parameters = decoder.named_parameters();
  if (!parameters.contains(first + ".norm.weight")) return;
  auto weight = parameters[first + ".norm.weight"];
  auto bias = parameters[first + ".norm.bias"];
  for (int64_t column = 3; column < weight.size(0) && column < kNerfPositionEncodingWidth; ++column) {
    const int64_t degree = ((column - 3) % 45) / 3;
    if (degree > 3) {
      weight[column].zero_();
      bias[column].zero_();
    }
  }
}

// The SDF logits (before the tanh) on a coarse grid.
torch::Tensor sdf_logits(ShapeDecoderImpl& decoder, const MetaParameters& params) {
  auto& mlp = decoder.mlp();
  const auto points = volume_query_points(decoder.config().volume, 24).unsqueeze(0);
  return mlp.forward_raw(points, torch::Tensor(), params).h.select(-1, mlp.layout().sdf.begin).flatten();
}

// Shifts the SDF output bias so that 30% of a coarse grid is inside the surface.
void center_sdf_bias(ShapeDecoderImpl& decoder, const MetaParameters& params) {
  auto& mlp = decoder.mlp();
  const auto threshold = torch::quantile(sdf_logits(decoder, params), 0.7).item<double>();
  mlp.layer(mlp.n_layers() - 1)->bias[mlp.layout().sdf.begin] -= threshold;
}

// Makes both density heads a steep multiple of the SDF logit, so the NeRF sees the blob as a solid
// in empty space, as a trained model sees its object: random heads put fog everywhere, which would
// leave the renderer's fast path nothing to skip. The demo model's densities inside its shapes have
// medians of 60-240 and 90th percentiles of 1300-4500; here the 90th percentile is 1000.
void density_from_sdf(ShapeDecoderImpl& decoder, const MetaParameters& params) {
  constexpr double kInsideDensity = 1000.0;
  auto& mlp = decoder.mlp();
  const auto& layout = mlp.layout();
  // Only where all three come out of the last layer (direction_dependent_shape, as shipped).
  if (layout.sdf.directionless || layout.density_coarse.directionless || layout.density_fine.directionless) return;
  const double scale = kInsideDensity / torch::quantile(sdf_logits(decoder, params).abs(), 0.9).item<double>();
  auto& last = *mlp.layer(mlp.n_layers() - 1);
  for (const int64_t density : {layout.density_coarse.begin, layout.density_fine.begin}) {
    last.weight[density].copy_(last.weight[layout.sdf.begin] * scale);
    last.bias[density].copy_(last.bias[layout.sdf.begin] * scale);
  }
}

}  // namespace

RandomBlobDecoder make_random_blob_decoder(const DecoderConfig& config, uint64_t seed) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(seed);
  RandomBlobDecoder result;
  result.decoder = ShapeDecoder(config);
  result.decoder->eval();
  silence_high_frequencies(*result.decoder);
  result.params = result.decoder->latent_to_params(torch::tanh(torch::randn({1, config.flat_latent_size()})));
  center_sdf_bias(*result.decoder, result.params);
  density_from_sdf(*result.decoder, result.params);
  return result;
}

}  // namespace shape
