// The decoder half of shap-e's Transmitter as one LibTorch module tree whose parameter and buffer
// names are the official checkpoint keys (transmitter.pt): `encoder.params_proj.*` turns a latent
// into MLP weights, `renderer.nerstf.*` is the NeRSTF MLP and `renderer.void.background` the
// background colour. The encoder trunk is not built. Modules stay trainable, so gradients reach
// the latent (and params_proj) through renders and meshes.
#pragma once

#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "inference/checkpoint/state_dict.h"
#include "inference/decoder/cameras.h"
#include "inference/decoder/decoder_config.h"
#include "inference/decoder/meta_parameters.h"
#include "inference/decoder/nerf_renderer.h"
#include "inference/decoder/nerstf_mlp.h"
#include "inference/decoder/params_projection.h"
#include "inference/decoder/stf_mesher.h"
#include "inference/models/weight_binding.h"
#include "inference/precision.h"

namespace shape {

// `encoder`: only its params_proj (shap-e's encoder also holds the trunk, which decoding skips).
class DecoderEncoderHeadImpl : public torch::nn::Module {
 public:
  explicit DecoderEncoderHeadImpl(const DecoderConfig& config);
  ParamsProjection params_proj{nullptr};
};
TORCH_MODULE(DecoderEncoderHead);

// `renderer.void`: the colour seen where rays leave the box, in [0, 1].
class VoidBackgroundImpl : public torch::nn::Module {
 public:
  explicit VoidBackgroundImpl(const DecoderConfig& config);
  torch::Tensor background;  // [3]
};
TORCH_MODULE(VoidBackground);

// `renderer`: the NeRSTF MLP and the background.
class DecoderRendererImpl : public torch::nn::Module {
 public:
  explicit DecoderRendererImpl(const DecoderConfig& config);
  NerstfMlp nerstf{nullptr};
  VoidBackground void_background{nullptr};  // registered as `void`
};
TORCH_MODULE(DecoderRenderer);

class ShapeDecoderImpl : public torch::nn::Module {
 public:
  explicit ShapeDecoderImpl(const DecoderConfig& config);

  // latent [batch, latent_ctx * d_latent] (or one latent [latent_ctx * d_latent], or already
  // [batch, latent_ctx, d_latent]) -> the MLP's meta parameters for each latent, in its dtype.
  MetaParameters latent_to_params(const torch::Tensor& latent);

  // The dtype of the MLP's matrix products (its weights, cast here once, and the meta parameters
  // made from now on). The params projection, positions, activations, fields and NeRF compositing
  // stay float32. For inference only (call on an eval-mode decoder).
  void set_query_precision(Precision precision);

  // NeRF images of every camera for every latent of `params` ([batch, views, H, W, k]).
  NerfRenderResult render_views(const MetaParameters& params, const std::vector<Camera>& cameras,
                                const NerfRenderOptions& options, RaySampleRandomness& randomness);
  // The same with the ray samples drawn from a CPU generator seeded with `seed`.
  NerfRenderResult render_views(const MetaParameters& params, const std::vector<Camera>& cameras,
                                const NerfRenderOptions& options = {}, uint64_t seed = 0);

  // The STF mesh of one latent; default options take the grid size from the config.
  StfMeshResult extract_mesh(const MetaParameters& params, const StfMeshOptions& options);
  StfMeshResult extract_mesh(const MetaParameters& params) { return extract_mesh(params, default_mesh_options()); }
  StfMeshOptions default_mesh_options() const;

  const DecoderConfig& config() const { return config_; }
  NerfRendererSettings renderer_settings() const { return NerfRendererSettings::from_config(config_); }
  NerstfMlpImpl& mlp() { return *renderer_->nerstf; }
  ParamsProjectionImpl& params_projection() { return *encoder_->params_proj; }
  torch::Tensor background() const { return renderer_->void_background->background; }

 private:
  DecoderConfig config_;
  DecoderEncoderHead encoder_{nullptr};
  DecoderRenderer renderer_{nullptr};
};
TORCH_MODULE(ShapeDecoder);

// Binds a transmitter checkpoint (official key names). Every `encoder.*` key that is not part of
// params_proj belongs to the encoder trunk and is skipped and reported, as are keys under
// `extra_ignored_prefixes`. Anything else that does not fit throws WeightBindingError.
// `share_memory`: see WeightBindingOptions.
WeightBindingReport bind_decoder_weights(ShapeDecoderImpl& decoder, const StateDict& weights,
                                         const std::vector<std::string>& extra_ignored_prefixes = {},
                                         bool share_memory = false);

// Inverse of the config's latent warp (identity or tan2), applied before the projection.
torch::Tensor unwarp_latent(const torch::Tensor& latent, const DecoderConfig& config);

}  // namespace shape
