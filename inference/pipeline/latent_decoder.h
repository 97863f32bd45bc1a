// Latent -> STF mesh or NeRF image (the transmitter's decoder half) behind a torch-free interface.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "inference/clip/image_u8.h"
#include "inference/decoder/camera.h"
#include "inference/decoder/render_cancelled.h"
#include "inference/mesh/mesh.h"
#include "inference/pipeline/latent.h"
#include "inference/precision.h"

namespace shape {

struct MeshSettings {
  int64_t grid_size = 128;  // STF grid per axis (shap-e's default; up to 256)
  // Query the MLP at every grid point, as shap-e, rather than coarse to fine near the surface: the
  // same mesh (decoder/grid_refinement.h says when), slower; a fallback and the parity reference.
  bool dense_grid = false;
};

struct RenderSettings {
  uint64_t seed = 0;  // ray-sample draws (shap-e draws them from the global RNG)
  int64_t ray_batch_size = 4096;
  // Caps on the samples per ray (0: the decoder config's, 64 coarse + 128 fine for shap-e). Fewer
  // make cheaper, noisier previews.
  int64_t coarse_samples = 0;
  int64_t fine_samples = 0;
  // The renderer's fast path (decoder/nerf_renderer.h): no MLP queries in empty space, nor where
  // almost no light is left. For previews; off renders exactly as shap-e.
  bool skip_empty_space = false;
  // Checked between ray batches: once true, render_nerf throws RenderCancelled.
  const std::atomic<bool>* cancel = nullptr;
  // The colour behind the object (RGB 0..255); empty: the model's own (white for shap-e's).
  std::optional<std::array<float, 3>> background_rgb;
};


class LatentDecoder {
 public:
  // config: shap-e Transmitter YAML; weights: transmitter.pt or compatible (encoder trunk ignored).
  // precision: of the MLP queries (ShapeDecoderImpl::set_query_precision); fp32 is the exact path.
  LatentDecoder(const std::filesystem::path& config, const std::filesystem::path& weights,
                const std::string& device = "cpu", Precision precision = Precision::kFloat32);
  ~LatentDecoder();
  LatentDecoder(const LatentDecoder&) = delete;
  LatentDecoder& operator=(const LatentDecoder&) = delete;

  int64_t latent_size() const;
  Precision precision() const;  // of the MLP queries

  // Throws std::invalid_argument for a latent of the wrong size. An SDF without a surface gives an
  // empty mesh.
  Mesh decode_mesh(const Latent& latent, const MeshSettings& settings = {}) const;

  // An RGB image (3 channels) of the NeRF seen by `camera`, background included. Renders of the
  // latent rendered last reuse its MLP weights and, on the fast path, its occupancy grid.
  ImageU8 render_nerf(const Latent& latent, const Camera& camera, const RenderSettings& settings = {}) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shape
