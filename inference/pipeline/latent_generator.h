// Prompt or image -> Shap-E latents: CLIP conditioning, the latent diffusion transformer and the
// Karras samplers behind one torch-free interface for the CLI and the GUI.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "inference/clip/image_u8.h"
#include "inference/diffusion/generation_cancelled.h"
#include "inference/diffusion/sampler_choice.h"
#include "inference/pipeline/latent.h"
#include "inference/precision.h"

namespace shape {

// The files of one conditional model (text300M or image300M, or compatible ones).
struct GeneratorFiles {
  std::filesystem::path transformer_config;   // shap-e YAML (text_cond_config.yaml, ...)
  std::filesystem::path transformer_weights;  // text_cond.pt, image_cond.pt, safetensors, ...
  std::filesystem::path diffusion_config;     // diffusion_config.yaml
  std::filesystem::path clip_weights;         // ViT-L-14.pt (TorchScript) or a CLIP state dict
  std::filesystem::path clip_config;          // optional JSON of clip.model.CLIP's arguments; else inferred
  // Image models: condition on the patch grid averaged over three views of the picture
  // (clip/picture_views.h), as a model folder's sampling.yaml may ask ("image_average_views: true").
  bool average_picture_views = false;
};

struct GenerationSettings {
  uint64_t seed = 0;
  SamplerKind sampler = SamplerKind::kHeun;
  int64_t steps = 64;
  double guidance_scale = 15.0;  // shap-e uses 15 for text, 3 for images
  double sigma_min = 1e-3;
  double sigma_max = 160.0;
  double rho = 7.0;
  double s_churn = 0.0;  // Heun only
  bool clip_denoised = true;
  // Off by default; see KarrasSamplerOptions.
  double guidance_sigma_low = 0.0;
  double guidance_sigma_high = std::numeric_limits<double>::infinity();
  double guidance_scale_outside = 1.0;
  double guidance_rescale = 0.0;
  double guidance_threshold = 0.0;
};

// What a generation conditions on: one entry per sample.
struct Condition {
  std::string prompt;           // text models
  std::optional<ImageU8> image;  // image models
};

// Reported before each sampler update (step 0..steps-1) and once at the end (step == total_steps).
struct GenerationStep {
  int64_t step = 0;
  int64_t total_steps = 0;
  double sigma = 0.0;
  double elapsed_seconds = 0.0;
  double eta_seconds = 0.0;              // from the mean time per model evaluation so far
  int64_t evaluations = 0;               // model evaluations made so far
  int64_t total_evaluations = 0;         // what the whole sample costs (Heun: 2 per step but the last)
  std::vector<Latent> noisy;              // x at this step, one per sample
  std::vector<Latent> predicted;          // pred_xstart: the model's current guess of the result
};
using GenerationCallback = std::function<void(const GenerationStep&)>;

struct GenerationResult {
  std::vector<Latent> latents;
  std::vector<std::string> notices;  // e.g. that a prompt was cut to CLIP's 77 tokens
};

enum class ConditioningMode { kText, kImage };

class LatentGenerator {
 public:
  // Loads and checks every file; errors name the file and the problem. The diffusion transformer
  // runs in `precision` (its weights converted once, here); CLIP stays float32 (one evaluation
  // per generation).
  LatentGenerator(const GeneratorFiles& files, const std::string& device = "cpu",
                  Precision precision = Precision::kFloat32);
  ~LatentGenerator();
  LatentGenerator(const LatentGenerator&) = delete;
  LatentGenerator& operator=(const LatentGenerator&) = delete;

  ConditioningMode mode() const;
  int64_t latent_size() const;
  Precision precision() const;

  // Throws std::invalid_argument for an empty prompt, a missing image or a wrong-kind condition;
  // GenerationCancelled when `cancel` is set.
  GenerationResult generate(const std::vector<Condition>& conditions, const GenerationSettings& settings,
                            const GenerationCallback& on_step = nullptr,
                            const std::atomic<bool>* cancel = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shape
