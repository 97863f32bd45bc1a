// encoder.params_proj of shap-e's Transmitter (ChannelsParamsProj): turns a latent of
// [latent_ctx, d_latent] vectors into the weights of the NeRSTF MLP's meta layers.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/moduledict.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "inference/decoder/decoder_config.h"
#include "inference/decoder/meta_parameters.h"

namespace shape {

// ChannelsProj: vector v of the latent slice is mapped by its own [channels, d_latent] matrix,
// then LayerNorm over channels (or a learned gain), then a per-(vector, channel) bias.
// Submodules `proj` (Linear d_latent -> vectors * channels) and `norm` / parameter `gain`.
class ChannelsProjectionImpl : public torch::nn::Module {
 public:
  ChannelsProjectionImpl(int64_t vectors, int64_t channels, int64_t d_latent, const ParamsProjectionConfig& config);

  // x [batch, vectors, d_latent] -> [batch, vectors, channels]
  torch::Tensor forward(const torch::Tensor& x);

 private:
  int64_t vectors_, channels_, d_latent_;
  torch::nn::Linear proj_{nullptr};
  torch::nn::LayerNorm norm_{nullptr};  // when use_ln
  torch::Tensor gain_;                  // when !use_ln and learned_scale is set
};
TORCH_MODULE(ChannelsProjection);

// One ChannelsProjection per meta tensor, registered as `projections.<name with . -> __>`.
class ParamsProjectionImpl : public torch::nn::Module {
 public:
  explicit ParamsProjectionImpl(const DecoderConfig& config);

  // latent vectors [batch, latent_ctx, d_latent] -> meta parameters, each [batch, *shape].
  // Consecutive runs of vectors feed the meta tensors in order.
  MetaParameters forward(const torch::Tensor& latent_vectors);

 private:
  std::vector<DecoderConfig::MetaTensor> tensors_;
  int64_t latent_ctx_ = 0, d_latent_ = 0;
  torch::nn::ModuleDict projections_{nullptr};
  std::vector<ChannelsProjection> projection_modules_;  // the same modules, in tensors_ order
};
TORCH_MODULE(ParamsProjection);

// Meta tensor name -> its key under `projections` ("nerstf.mlp.0.weight" -> "nerstf__mlp__0__weight").
std::string projection_key(const std::string& meta_tensor_name);

}  // namespace shape
