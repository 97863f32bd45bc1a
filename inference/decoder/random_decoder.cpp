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

// Shifts the SDF output bias so that 30% of a coarse grid is inside the surface.
void center_sdf_bias(ShapeDecoderImpl& decoder, const MetaParameters& params) {
  auto& mlp = decoder.mlp();
  const auto points = volume_query_points(decoder.config().volume, 24).unsqueeze(0);
  const auto sdf_logits = mlp.forward_raw(points, torch::Tensor(), params).h.select(-1, mlp.layout().sdf.begin);
  const auto threshold = torch::quantile(sdf_logits.flatten(), 0.7).item<double>();
  mlp.layer(mlp.n_layers() - 1)->bias[mlp.layout().sdf.begin] -= threshold;
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
  return result;
}

}  // namespace shape
