#include "inference/decoder/nerstf_mlp.h"

#include <cmath>

#include <ATen/Parallel.h>
#include <torch/torch.h>

namespace shape {
namespace {

constexpr int64_t kPositionDegrees = 15;
constexpr int64_t kDirectionDegrees = 8;
// A multiple of every SIMD width the CPU kernels use (AVX2: 8 floats, AVX-512: 16).
constexpr int64_t kSinRowAlignment = 16;
constexpr int64_t kSinRowsPerTask = 256;

// shap-e's get_act. In-place where allowed: the hidden activations are the renderer's largest tensors.
torch::Tensor apply_activation(const std::string& name, torch::Tensor x, bool in_place) {
  if (name == "identity") return x;
  if (name == "relu") return in_place ? x.relu_() : torch::relu(x);
  if (name == "swish") return in_place ? torch::silu_(x) : torch::silu(x);
  if (name == "tanh") return in_place ? x.tanh_() : torch::tanh(x);
  if (name == "sigmoid") return in_place ? x.sigmoid_() : torch::sigmoid(x);
  if (name == "exp") return in_place ? x.exp_() : torch::exp(x);
  if (name == "sin") return in_place ? x.sin_() : torch::sin(x);
  if (name == "leaky_relu") return torch::leaky_relu(x, 0.01);
  if (name == "softplus") return torch::softplus(x);
  if (name == "gelu") return torch::gelu(x, "tanh");  // shap-e's gelu is the tanh approximation
  if (name == "torch_gelu") return torch::gelu(x);
  if (name == "quick_gelu" || name == "gelu2") return x * torch::sigmoid(1.702 * x);
  TORCH_CHECK(false, "unknown activation '", name, "'");
}

// Drops a leading batch dimension of 1 so a single latent uses one plain matrix product.
torch::Tensor squeeze_unit_batch(const torch::Tensor& tensor, int64_t unbatched_dims) {
  if (tensor.dim() == unbatched_dims + 1 && tensor.size(0) == 1) return tensor[0];
  return tensor;
}

// LibTorch 1.13 widens bf16 to float one element at a time on one thread, ~10x slower than it
// narrows float to bf16 and as slow as a layer's bf16 product. Widening is exact (the bits move up
// by 16), so this parallel loop gives the same values.
torch::Tensor bf16_to_float(const torch::Tensor& values) {
  const auto source = values.contiguous();
  auto result = torch::empty(source.sizes(), source.options().dtype(torch::kFloat32));
  const auto* in = reinterpret_cast<const uint16_t*>(source.data_ptr<at::BFloat16>());
  auto* out = reinterpret_cast<uint32_t*>(result.data_ptr<float>());
  at::parallel_for(0, source.numel(), 1 << 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out[i] = static_cast<uint32_t>(in[i]) << 16;
  });
  return result;
}

torch::Tensor to_scalar_type(const torch::Tensor& values, c10::ScalarType type) {
  const bool widening_bf16 = values.scalar_type() == torch::kBFloat16 && type == torch::kFloat32;
  return widening_bf16 && values.is_cpu() ? bf16_to_float(values) : values.to(type);
}

}  // namespace

torch::Tensor nerf_positional_encoding(const torch::Tensor& x, int64_t max_degree) {
  const int64_t dim = x.size(-1);
  const int64_t width = dim * (1 + 2 * max_degree);
  const auto points = x.reshape({-1, dim});
  const int64_t count = points.size(0);
  const auto scales = torch::pow(2.0, torch::arange(max_degree, x.options()));
  const auto scaled = (points.unsqueeze(1) * scales.view({1, -1, 1})).reshape({count, dim * max_degree});
  // The vectorised sin picks its range reduction per SIMD vector, from the largest argument in it,
  // so its last bit depends on the arguments sharing the vector. One row per point, padded to whole
  // vectors and split over threads at rows, makes each point's encoding a function of that point
  // alone: a point gets the same bits in any batch, which keeps coarse-to-fine grids exact.
  const int64_t padded_width = (width + kSinRowAlignment - 1) / kSinRowAlignment * kSinRowAlignment;
  auto rows = torch::cat({points, scaled, scaled + M_PI / 2.0, torch::zeros({count, padded_width - width}, x.options())}, 1);
  at::parallel_for(0, count, kSinRowsPerTask, [&](int64_t begin, int64_t end) { rows.narrow(0, begin, end - begin).sin_(); });
  rows.narrow(1, 0, dim).copy_(points);
  auto sizes = x.sizes().vec();
  sizes.back() = width;
  return rows.narrow(1, 0, width).reshape(sizes);
}

NerstfLayerImpl::NerstfLayerImpl(int64_t in, int64_t out, bool meta_weight, bool meta_bias, bool trainable_meta) {
  // Meta tensors that are not trainable are buffers in shap-e (MetaModule.register_meta_buffer).
  auto add = [&](const std::string& name, torch::Tensor value, bool meta) {
    return meta && !trainable_meta ? register_buffer(name, value) : register_parameter(name, value);
  };
  weight = add("weight", torch::empty({out, in}), meta_weight);
  bias = add("bias", torch::zeros({out}), meta_bias);
}

NerstfMlpImpl::NerstfMlpImpl(const NerstfMlpConfig& config) : config_(config), layout_(nerstf_output_layout(config)) {
  if (config.register_freqs) {
    freqs_ = register_buffer("freqs", torch::pow(2.0, torch::arange(10, torch::kFloat32)).view({1, 10}));
  }
  mlp_ = register_module("mlp", torch::nn::ModuleList());
  const auto inputs = nerstf_layer_input_widths(config);
  const auto outputs = nerstf_layer_output_widths(config);
  torch::NoGradGuard no_grad;
  for (int64_t i = 0; i < config.n_layers(); ++i) {
    const bool meta = config.is_meta_layer(i);
    NerstfLayer layer(inputs[i], outputs[i], meta && config.meta_proj, meta && config.meta_bias, config.trainable_meta);
    // shap-e's std_init; checkpoints overwrite it.
    layer->weight.normal_(0.0, config.init_scale / std::sqrt(static_cast<double>(inputs[i])));
    mlp_->push_back(layer);
    layers_.push_back(layer);
    weight_keys_.push_back("nerstf.mlp." + std::to_string(i) + ".weight");
    bias_keys_.push_back("nerstf.mlp." + std::to_string(i) + ".bias");
  }
  const int64_t biased_layer =
      config.direction_dependent_shape || !config.insert_direction_at ? config.n_layers() - 1 : *config.insert_direction_at;
  layers_[biased_layer]->bias[0].fill_(config.initial_sdf_bias);
  layers_[biased_layer]->bias[1].fill_(config.initial_density_bias);
}

torch::Tensor NerstfMlpImpl::apply_layer(int64_t index, const torch::Tensor& h, const MetaParameters& params,
                                         bool skip_direction_columns) {
  auto& layer = layers_[index];
  const auto weight_it = params.find(weight_keys_[index]);
  const auto bias_it = params.find(bias_keys_[index]);
  auto weight = squeeze_unit_batch(weight_it == params.end() ? layer->weight : weight_it->second, 2);
  auto bias = squeeze_unit_batch(bias_it == params.end() ? layer->bias : bias_it->second, 1);
  // Without a direction its encoding is all zeros, so its weight columns contribute nothing.
  if (skip_direction_columns) weight = weight.narrow(-1, 0, weight.size(-1) - kNerfDirectionEncodingWidth);
  TORCH_CHECK(weight.size(-1) == h.size(-1), "mlp.", index, " expects ", weight.size(-1), " inputs, got ", h.size(-1));
  // The product runs in the weights' dtype (bf16 for bf16 queries); activations stay in h's.
  const auto input = h.to(weight.scalar_type());
  if (weight.dim() == 2 && bias.dim() == 1) return to_scalar_type(torch::linear(input, weight, bias), h.scalar_type());
  // Per-latent weights or biases: batch b uses its own.
  auto out = weight.dim() == 2 ? torch::matmul(input, weight.t()) : torch::matmul(input, weight.transpose(1, 2));
  return to_scalar_type(bias.dim() == 2 ? out + bias.unsqueeze(1) : out + bias, h.scalar_type());
}

torch::TensorOptions field_options(const MetaParameters& params) {
  TORCH_CHECK(!params.empty(), "no meta parameters");
  const auto options = params.begin()->second.options();
  const auto type = options.dtype().toScalarType();
  return type == torch::kBFloat16 || type == torch::kHalf ? options.dtype(torch::kFloat32) : options;
}

NerstfRawOutput NerstfMlpImpl::forward_raw(const torch::Tensor& position, const torch::Tensor& direction,
                                           const MetaParameters& params) {
  TORCH_CHECK(position.dim() == 3 && position.size(2) == 3, "positions must be [batch, points, 3], got ",
              position.sizes());
  TORCH_CHECK(!direction.defined() || direction.sizes() == position.sizes(), "directions must match positions");
  const bool in_place = !torch::GradMode::is_enabled();
  const bool keep_directionless = !config_.direction_dependent_shape;
  const auto insert_at = config_.insert_direction_at.value_or(-1);

  NerstfRawOutput raw;
  auto h = nerf_positional_encoding(position, kPositionDegrees);
  for (int64_t i = 0; i < n_layers(); ++i) {
    bool skip_direction_columns = false;
    if (i == insert_at) {
      if (keep_directionless && i == 0) raw.h_directionless = h;
      if (direction.defined()) {
        h = torch::cat({h, nerf_positional_encoding(direction, kDirectionDegrees)}, -1);
      } else {
        skip_direction_columns = true;
      }
    }
    h = apply_layer(i, h, params, skip_direction_columns);
    if (i + 1 < n_layers()) {
      if (keep_directionless && i + 1 == insert_at) raw.h_directionless = h.clone();
      h = apply_activation(config_.activation, h, in_place);
    }
  }
  raw.h = h;
  if (keep_directionless && !raw.h_directionless.defined()) raw.h_directionless = h;
  return raw;
}

NerstfFields NerstfMlpImpl::activate(const NerstfRawOutput& raw, NerfLevel level, FieldMode mode) const {
  auto pick = [&](const NerstfOutputLayout::Range& range) {
    const auto& source = range.directionless ? raw.h_directionless : raw.h;
    return source.narrow(-1, range.begin, range.end - range.begin);
  };
  const bool coarse = level == NerfLevel::kCoarse;
  const auto& channel_range =
      mode == FieldMode::kStf ? layout_.stf : (coarse ? layout_.nerf_coarse : layout_.nerf_fine);
  NerstfFields fields;
  fields.density = apply_activation(config_.density_activation, pick(coarse ? layout_.density_coarse : layout_.density_fine), false);
  fields.signed_distance = apply_activation(config_.sdf_activation, pick(layout_.sdf), false);
  fields.channels = apply_activation(config_.channel_activation, pick(channel_range), false);
  return fields;
}

NerstfFields NerstfMlpImpl::query(const torch::Tensor& position, const torch::Tensor& direction,
                                  const MetaParameters& params, NerfLevel level, FieldMode mode,
                                  int64_t points_per_chunk) {
  const int64_t points = position.size(1);
  if (points_per_chunk <= 0 || points <= points_per_chunk) {
    return activate(forward_raw(position, direction, params), level, mode);
  }
  std::vector<torch::Tensor> density, signed_distance, channels;
  for (int64_t start = 0; start < points; start += points_per_chunk) {
    const int64_t count = std::min(points_per_chunk, points - start);
    const auto chunk_direction = direction.defined() ? direction.narrow(1, start, count) : torch::Tensor();
    auto fields = activate(forward_raw(position.narrow(1, start, count), chunk_direction, params), level, mode);
    density.push_back(fields.density);
    signed_distance.push_back(fields.signed_distance);
    channels.push_back(fields.channels);
  }
  return {torch::cat(density, 1), torch::cat(signed_distance, 1), torch::cat(channels, 1)};
}

}  // namespace shape
