#include "inference/decoder/shape_decoder.h"

#include <cmath>

#include <torch/torch.h>

#include "inference/precision_dtype.h"

namespace shape {

DecoderEncoderHeadImpl::DecoderEncoderHeadImpl(const DecoderConfig& config) {
  params_proj = register_module("params_proj", ParamsProjection(config));
}

VoidBackgroundImpl::VoidBackgroundImpl(const DecoderConfig& config) {
  auto value = torch::tensor({config.void_background[0], config.void_background[1], config.void_background[2]},
                             torch::kFloat32) /
               config.void_channel_scale;
  background = config.void_trainable ? register_parameter("background", value) : register_buffer("background", value);
}

DecoderRendererImpl::DecoderRendererImpl(const DecoderConfig& config) {
  nerstf = register_module("nerstf", NerstfMlp(config.nerstf));
  void_background = register_module("void", VoidBackground(config));
}

ShapeDecoderImpl::ShapeDecoderImpl(const DecoderConfig& config) : config_(config) {
  encoder_ = register_module("encoder", DecoderEncoderHead(config));
  renderer_ = register_module("renderer", DecoderRenderer(config));
}

torch::Tensor unwarp_latent(const torch::Tensor& latent, const DecoderConfig& config) {
  if (config.latent_warp == "identity") return latent;
  // tan2: warp(x) = tan(tan(x) * c) / tan(tan(1) * c).
  const double coeff = config.latent_warp_coeff1;
  const double scale = std::tan(std::tan(1.0) * coeff);
  return ((latent.to(torch::kFloat32) * scale).atan() / coeff).atan().to(latent.scalar_type());
}

MetaParameters ShapeDecoderImpl::latent_to_params(const torch::Tensor& latent) {
  const int64_t ctx = config_.latent_ctx(), width = config_.d_latent;
  auto batched = latent.dim() == 1 ? latent.unsqueeze(0) : latent;
  TORCH_CHECK((batched.dim() == 2 && batched.size(1) == ctx * width) ||
                  (batched.dim() == 3 && batched.size(1) == ctx && batched.size(2) == width),
              "latent must be [batch, ", ctx * width, "] (", ctx, " vectors of ", width, "), got ", latent.sizes());
  // In the projection's dtype and device, whatever the sampler produced.
  const auto weight_options = encoder_->params_proj->parameters().front().options();
  const auto vectors = unwarp_latent(batched, config_).reshape({batched.size(0), ctx, width}).to(weight_options);
  auto params = encoder_->params_proj->forward(vectors);
  // In the MLP's dtype, which may differ from the projection's (bf16 queries: set_query_precision).
  for (auto& [name, tensor] : params) tensor = tensor.to(mlp().layer(0)->weight.scalar_type());
  return params;
}

void ShapeDecoderImpl::set_query_precision(Precision precision) {
  torch::NoGradGuard no_grad;
  mlp().to(scalar_type_of(precision));
}

NerfRenderResult ShapeDecoderImpl::render_views(const MetaParameters& params, const std::vector<Camera>& cameras,
                                                const NerfRenderOptions& options, RaySampleRandomness& randomness) {
  const auto settings = renderer_settings();
  torch::Tensor void_colour = background();
  if (options.background_rgb) {
    const auto& rgb = *options.background_rgb;
    const auto& scale = settings.channel_scale;
    void_colour = torch::tensor({rgb[0] / scale[0], rgb[1] / scale[1], rgb[2] / scale[2]}, torch::kFloat32)
                      .to(void_colour.device());
  }
  return shape::render_views(mlp(), params, void_colour, cameras, settings, options, randomness);
}

NerfRenderResult ShapeDecoderImpl::render_views(const MetaParameters& params, const std::vector<Camera>& cameras,
                                                const NerfRenderOptions& options, uint64_t seed) {
  SeededRaySampleRandomness randomness(seed);
  return render_views(params, cameras, options, randomness);
}

StfMeshOptions ShapeDecoderImpl::default_mesh_options() const {
  StfMeshOptions options;
  options.grid_size = config_.grid_size;
  options.output_srgb = config_.output_srgb;
  return options;
}

StfMeshResult ShapeDecoderImpl::extract_mesh(const MetaParameters& params, const StfMeshOptions& options) {
  return extract_stf_mesh(mlp(), params, config_.volume, options);
}

WeightBindingReport bind_decoder_weights(ShapeDecoderImpl& decoder, const StateDict& weights,
                                         const std::vector<std::string>& extra_ignored_prefixes, bool share_memory) {
  // bind_weights matches the model's own keys first, so `encoder.` only catches the trunk.
  WeightBindingOptions options;
  options.ignored_prefixes = {"encoder."};
  options.ignored_prefixes.insert(options.ignored_prefixes.end(), extra_ignored_prefixes.begin(),
                                  extra_ignored_prefixes.end());
  options.share_memory = share_memory;
  return bind_weights(decoder, weights, options);
}

}  // namespace shape
