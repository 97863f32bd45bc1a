#include "inference/pipeline/latent_decoder.h"

#include <optional>
#include <stdexcept>

#include <torch/torch.h>

#include "inference/checkpoint/checkpoint.h"
#include "inference/decoder/nerf_renderer.h"
#include "inference/decoder/occupancy_grid.h"
#include "inference/decoder/shape_decoder.h"
#include "inference/models/skip_random_init.h"
#include "inference/pipeline/device.h"

namespace shape {

struct LatentDecoder::Impl {
  torch::Device device{torch::kCPU};
  Precision precision = Precision::kFloat32;
  ShapeDecoder decoder{nullptr};
  // The latent decoded last, its meta parameters and (once a fast render asked) occupancy grid.
  std::vector<float> last_latent;
  MetaParameters last_params;
  std::optional<OccupancyGrid> last_occupancy;

  const MetaParameters& params(const Latent& latent) {
    const auto expected = decoder->config().flat_latent_size();
    if (static_cast<int64_t>(latent.values.size()) != expected) {
      throw std::invalid_argument("latent has " + std::to_string(latent.values.size()) +
                                  " values; this decoder takes " + std::to_string(expected));
    }
    if (latent.values != last_latent || last_params.empty()) {
      auto tensor = torch::from_blob(const_cast<float*>(latent.values.data()), {1, expected}, torch::kFloat32);
      last_params = decoder->latent_to_params(tensor.to(device));
      last_latent = latent.values;
      last_occupancy.reset();
    }
    return last_params;
  }

  const OccupancyGrid& occupancy(const Latent& latent) {
    const auto& latent_params = params(latent);
    if (!last_occupancy) last_occupancy.emplace(decoder->mlp(), latent_params, decoder->config().volume);
    return *last_occupancy;
  }
};

LatentDecoder::LatentDecoder(const std::filesystem::path& config, const std::filesystem::path& weights,
                             const std::string& device, Precision precision)
    : impl_(std::make_unique<Impl>()) {
  check_device_name(device);
  impl_->device = torch::Device(device);
  {
    const SkipRandomInit skip;  // every parameter is bound below
    impl_->decoder = ShapeDecoder(load_decoder_config(config.string()));
  }
  try {
    // The encoder trunk (half of transmitter.pt) is never read.
    bind_decoder_weights(*impl_->decoder, open_checkpoint(weights), {}, /*share_memory=*/true);
  } catch (const WeightBindingError& error) {
    throw WeightBindingError(weights.string() + ": " + error.what());
  }
  impl_->decoder->eval();
  impl_->decoder->to(impl_->device);
  impl_->decoder->set_query_precision(precision);
  impl_->precision = precision;
}

LatentDecoder::~LatentDecoder() = default;

int64_t LatentDecoder::latent_size() const { return impl_->decoder->config().flat_latent_size(); }

Precision LatentDecoder::precision() const { return impl_->precision; }

Mesh LatentDecoder::decode_mesh(const Latent& latent, const MeshSettings& settings) const {
  torch::NoGradGuard no_grad;
  if (settings.grid_size < 8 || settings.grid_size > 512) {
    throw std::invalid_argument("grid size must lie in 8..512, got " + std::to_string(settings.grid_size));
  }
  auto options = impl_->decoder->default_mesh_options();
  options.grid_size = settings.grid_size;
  options.sampling = settings.dense_grid ? StfGridSampling::kDense : StfGridSampling::kCoarseToFine;
  return impl_->decoder->extract_mesh(impl_->params(latent), options).mesh;
}

ImageU8 LatentDecoder::render_nerf(const Latent& latent, const Camera& camera, const RenderSettings& settings) const {
  torch::NoGradGuard no_grad;
  if (camera.width <= 0 || camera.height <= 0) throw std::invalid_argument("camera image size must be positive");
  NerfRenderOptions options;
  options.ray_batch_size = settings.ray_batch_size;
  options.n_coarse_samples = settings.coarse_samples;
  options.n_fine_samples = settings.fine_samples;
  options.cancel = settings.cancel;
  options.background_rgb = settings.background_rgb;
  if (settings.skip_empty_space) {
    options.occupancy = &impl_->occupancy(latent);
    options.termination_transmittance = kFastPathTermination;
  }
  const auto rendered = impl_->decoder->render_views(impl_->params(latent), {camera}, options, settings.seed);
  // [1, 1, H, W, 3] in 0..255 -> RGB bytes.
  const auto pixels = to_uint8_image(rendered.channels).to(torch::kCPU).contiguous();
  ImageU8 image;
  image.width = static_cast<int>(camera.width);
  image.height = static_cast<int>(camera.height);
  image.channels = 3;
  image.pixels.assign(pixels.data_ptr<uint8_t>(), pixels.data_ptr<uint8_t>() + pixels.numel());
  return image;
}

}  // namespace shape
