#include "inference/decoder/params_projection.h"

#include <cmath>

#include <torch/torch.h>

namespace shape {

std::string projection_key(const std::string& meta_tensor_name) {
  std::string key;
  for (char c : meta_tensor_name) {
    if (c == '.') {
      key += "__";
    } else {
      key += c;
    }
  }
  return key;
}

ChannelsProjectionImpl::ChannelsProjectionImpl(int64_t vectors, int64_t channels, int64_t d_latent,
                                               const ParamsProjectionConfig& config)
    : vectors_(vectors), channels_(channels), d_latent_(d_latent) {
  proj_ = register_module("proj", torch::nn::Linear(d_latent, vectors * channels));
  // shap-e's initialisation; a checkpoint overwrites all of it.
  const bool scaled = config.use_ln || config.learned_scale.has_value();
  const double std = config.init_scale / std::sqrt(static_cast<double>(scaled ? d_latent : d_latent * channels));
  torch::NoGradGuard no_grad;
  proj_->weight.normal_(0.0, std);
  proj_->bias.zero_();
  if (config.use_ln) {
    norm_ = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({channels}).eps(1e-5)));
    if (config.learned_scale) norm_->weight.fill_(*config.learned_scale);
  } else if (config.learned_scale) {
    gain_ = register_parameter("gain", torch::full({channels}, *config.learned_scale));
  }
}

torch::Tensor ChannelsProjectionImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 3 && x.size(1) == vectors_ && x.size(2) == d_latent_, "ChannelsProjection expects [batch, ",
              vectors_, ", ", d_latent_, "] latent vectors, got ", x.sizes());
  // h[b, v, c] = sum_d W[v, c, d] x[b, v, d]: one [channels, d_latent] matrix per vector, as a
  // batched product over vectors that reads the (large) weight in its stored layout.
  const auto weight_vcd = proj_->weight.view({vectors_, channels_, d_latent_});
  auto h = torch::bmm(weight_vcd, x.permute({1, 2, 0})).permute({2, 0, 1});  // [batch, vectors, channels]
  if (!norm_.is_empty()) {
    h = norm_->forward(h);
  } else if (gain_.defined()) {
    h = h * gain_.view({1, 1, channels_});
  }
  return h + proj_->bias.view({1, vectors_, channels_});
}

ParamsProjectionImpl::ParamsProjectionImpl(const DecoderConfig& config)
    : tensors_(config.meta_tensors()), latent_ctx_(config.latent_ctx()), d_latent_(config.d_latent) {
  projections_ = register_module("projections", torch::nn::ModuleDict());
  for (const auto& tensor : tensors_) {
    ChannelsProjection projection(tensor.vectors, tensor.channels, config.d_latent, config.params_proj);
    projections_->update({{projection_key(tensor.name), projection.ptr()}});
    projection_modules_.push_back(projection);
  }
}

MetaParameters ParamsProjectionImpl::forward(const torch::Tensor& latent_vectors) {
  TORCH_CHECK(latent_vectors.dim() == 3 && latent_vectors.size(1) == latent_ctx_ && latent_vectors.size(2) == d_latent_,
              "params projection expects latent vectors [batch, ", latent_ctx_, ", ", d_latent_, "], got ",
              latent_vectors.sizes());
  MetaParameters params;
  const int64_t batch = latent_vectors.size(0);
  int64_t start = 0;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const auto& tensor = tensors_[i];
    auto slice = latent_vectors.narrow(1, start, tensor.vectors);
    auto& projection = projection_modules_[i];
    std::vector<int64_t> shape{batch};
    shape.insert(shape.end(), tensor.shape.begin(), tensor.shape.end());
    params[tensor.name] = projection->forward(slice).reshape(shape);
    start += tensor.vectors;
  }
  return params;
}

}  // namespace shape
