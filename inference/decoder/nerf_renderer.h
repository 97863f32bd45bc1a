// Volume rendering of the NeRSTF field along camera rays, as shap-e's NeRSTFRenderer.render_rays:
// stratified coarse samples inside the bounding box, importance-sampled fine samples from the
// coarse weights, both merged for the final integral, and the void background behind.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

#include <torch/types.h>

#include "inference/decoder/cameras.h"
#include "inference/decoder/decoder_config.h"
#include "inference/decoder/meta_parameters.h"
#include "inference/decoder/nerstf_mlp.h"
#include "inference/decoder/occupancy_grid.h"
#include "inference/decoder/render_cancelled.h"

namespace shape {

// Where the renderer's U[0, 1) draws come from. Each method is called once per ray batch, in the
// order below, with exactly the shapes shap-e draws (so recorded draws replay its renders).
class RaySampleRandomness {
 public:
  virtual ~RaySampleRandomness() = default;
  // Offsets of the stratified coarse samples within their strata: [batch, rays, n_coarse].
  virtual torch::Tensor stratified_offsets(c10::IntArrayRef shape) = 0;
  // Inverse-CDF picks of the coarse bins for the fine samples: [batch * rays, n_fine].
  virtual torch::Tensor importance_bins(c10::IntArrayRef shape) = 0;
  // Positions of the fine samples within their picked bins: [batch, rays, n_fine, 1].
  virtual torch::Tensor importance_offsets(c10::IntArrayRef shape) = 0;
};

// Draws from a seeded CPU generator (moved to the render device afterwards), so a seed gives the
// same image on every device.
class SeededRaySampleRandomness : public RaySampleRandomness {
 public:
  explicit SeededRaySampleRandomness(uint64_t seed);
  torch::Tensor stratified_offsets(c10::IntArrayRef shape) override { return draw(shape); }
  torch::Tensor importance_bins(c10::IntArrayRef shape) override { return draw(shape); }
  torch::Tensor importance_offsets(c10::IntArrayRef shape) override { return draw(shape); }

 private:
  torch::Tensor draw(c10::IntArrayRef shape);
  at::Generator generator_;
};

// The renderer's fixed settings (from the decoder config).
struct NerfRendererSettings {
  BoundingBoxConfig volume;
  int64_t n_coarse_samples = 64;
  int64_t n_fine_samples = 128;
  bool importance_blur_pool = false;
  double importance_alpha = 1e-5;
  std::array<float, 3> channel_scale{255.0f, 255.0f, 255.0f};

  static NerfRendererSettings from_config(const DecoderConfig& config);
};

// The fast path's usual cut-off (NerfRenderOptions::termination_transmittance): light that has lost
// 99.9% of itself changes a pixel by less than 0.26 of 255.
inline constexpr double kFastPathTermination = 1e-3;

struct NerfRenderOptions {
  // Rays per sampling batch. Any count works: the last batch may be partial (shap-e's diffusers
  // port silently drops it).
  int64_t ray_batch_size = 4096;
  // Points per MLP call within a batch, bounding the hidden activations (0: the whole batch).
  int64_t points_per_chunk = 1 << 14;
  bool render_with_direction = false;  // shap-e's decode_latent_images passes False
  // Evaluate the MLP only on rays that hit the box. Rays that miss are fully replaced by the
  // background either way; only their raw_* values differ (0 instead of unused numbers).
  bool skip_missed_rays = true;
  bool keep_raw = false;  // return raw_density / raw_signed_distance per fine sample
  // Caps on the samples per ray, below the config's counts for cheap previews (0: no cap).
  int64_t n_coarse_samples = 0;
  int64_t n_fine_samples = 0;
  // The fast path, used when either is set (otherwise shap-e's render, exactly). Samples count as
  // empty space (density 0, no MLP query) where `occupancy` marks their cell empty, and along a ray
  // once less than `termination_transmittance` of the light is left in front of them (the samples
  // are queried in segments of depth). The sample positions, and so the random draws, stay
  // shap-e's; what changes is bounded by the light the skipped samples would have absorbed.
  const OccupancyGrid* occupancy = nullptr;  // for the latents of the params rendered
  double termination_transmittance = 0.0;
  // Checked between ray batches: once true, the render stops with RenderCancelled (a viewer drops
  // a large render the user no longer wants).
  const std::atomic<bool>* cancel = nullptr;
  // The colour behind the object in output units (0..255 RGB), replacing the model's own void
  // background (white for shap-e's transmitter); a viewer matches it to its other panes.
  std::optional<std::array<float, 3>> background_rgb;
};

// Per ray (render_rays: [batch, rays, k]; render_views: [batch, views, height, width, k]).
struct NerfRenderResult {
  // Colour scaled by channel_scale (0..255), background included. As in shap-e's NeRF path the
  // model's colours are integrated as predicted: output_srgb only concerns the STF path.
  torch::Tensor channels;
  torch::Tensor transmittance;  // light passing the whole box (1 = background only)
  torch::Tensor distances;      // expected ray distance of the absorbed light
  torch::Tensor depth;          // distances along the camera axis (render_views only)
  torch::Tensor t0, t1;         // box entry / exit ray distances (0 / 1 for missed rays)
  torch::Tensor intersected;    // bool
  torch::Tensor raw_density, raw_signed_distance;  // [..., n_coarse + n_fine] if keep_raw
  int64_t samples_queried = 0;  // MLP queries, coarse and fine, over all rays and latents
};

// Ray / box intersection as shap-e's BoundingBoxVolume.intersect. origin, direction [..., 3].
struct RayBoxRange {
  torch::Tensor t0, t1, intersected;  // [..., 1]
};
RayBoxRange intersect_bounding_box(const torch::Tensor& origin, const torch::Tensor& direction,
                                   const BoundingBoxConfig& volume);

// rays [batch, rays, 2, 3] (origin, unit direction), or [rays, 2, 3] for every latent of `params`.
// background [3] in [0, 1]. params hold [batch, ...] meta tensors.
NerfRenderResult render_rays(NerstfMlpImpl& mlp, const MetaParameters& params, const torch::Tensor& background,
                             const torch::Tensor& rays, const NerfRendererSettings& settings,
                             const NerfRenderOptions& options, RaySampleRandomness& randomness);

// Renders every camera (all the same size) for every latent; rays of all views are batched
// together in view-major, row-major pixel order, as shap-e does.
NerfRenderResult render_views(NerstfMlpImpl& mlp, const MetaParameters& params, const torch::Tensor& background,
                              const std::vector<Camera>& cameras, const NerfRendererSettings& settings,
                              const NerfRenderOptions& options, RaySampleRandomness& randomness);

// channels.clamp(0, 255) as uint8, as shap-e's decode_latent_images.
torch::Tensor to_uint8_image(const torch::Tensor& channels);

}  // namespace shape
