#include "inference/pipeline/latent_generator.h"

#include <chrono>
#include <stdexcept>

#include <torch/torch.h>

#include "inference/checkpoint/checkpoint.h"
#include "inference/clip/bpe_tokenizer.h"
#include "inference/clip/clip_config.h"
#include "inference/clip/clip_model.h"
#include "inference/clip/clip_weights.h"
#include "inference/clip/picture_views.h"
#include "inference/config/model_config.h"
#include "inference/diffusion/gaussian_diffusion.h"
#include "inference/diffusion/karras_sampler.h"
#include "inference/models/diffusion_transformer.h"
#include "inference/models/skip_random_init.h"
#include "inference/models/weight_binding.h"
#include "inference/pipeline/device.h"

namespace shape {
namespace {

std::vector<Latent> rows_to_latents(const torch::Tensor& batch) {
  const auto cpu = batch.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  std::vector<Latent> latents(cpu.size(0));
  for (int64_t i = 0; i < cpu.size(0); ++i) {
    const float* row = cpu[i].data_ptr<float>();
    latents[i].values.assign(row, row + cpu.size(1));
  }
  return latents;
}

bool is_blank(const std::string& text) { return text.find_first_not_of(" \t\r\n\f\v") == std::string::npos; }

}  // namespace

struct LatentGenerator::Impl {
  torch::Device device{torch::kCPU};
  ConditioningMode mode = ConditioningMode::kText;
  bool average_picture_views = false;
  ClipModel clip{nullptr};
  std::unique_ptr<ClipTokenizer> tokenizer;  // text models only
  SplitVectorDiffusion model{nullptr};
  std::unique_ptr<GaussianDiffusion> diffusion;

  // CLIP embeddings [N, embed_dim] or patch grids [N, width, tokens], on the model's device.
  torch::Tensor condition_tensor(const std::vector<Condition>& conditions, std::vector<std::string>& notices) {
    torch::NoGradGuard no_grad;
    if (mode == ConditioningMode::kText) {
      std::vector<ClipTokens> prompts;
      for (size_t i = 0; i < conditions.size(); ++i) {
        const auto& prompt = conditions[i].prompt;
        if (conditions[i].image) throw std::invalid_argument("this is a text-conditioned model; it takes no image");
        if (is_blank(prompt)) throw std::invalid_argument("the prompt is empty");
        prompts.push_back(tokenizer->tokenize(prompt));
        if (prompts.back().truncated()) {
          notices.push_back("prompt " + std::to_string(i + 1) + " is " +
                            std::to_string(prompts.back().untruncated_length) + " tokens long; CLIP reads only the first " +
                            std::to_string(ClipTokenizer::kContextLength) + ", the rest was cut");
        }
      }
      return clip->embed_text(clip_token_batch(prompts)).to(device);
    }
    std::vector<ImageU8> images;
    for (const auto& condition : conditions) {
      if (!condition.image) throw std::invalid_argument("this is an image-conditioned model; it needs an image");
      if (!is_blank(condition.prompt)) {
        throw std::invalid_argument("this is an image-conditioned model; it takes no prompt");
      }
      images.push_back(*condition.image);
    }
    if (average_picture_views) return embed_image_grid_over_views(clip, images).to(device);
    return clip->embed_image_grid(clip_image_batch(images, clip->config().image_resolution)).to(device);
  }
};

LatentGenerator::LatentGenerator(const GeneratorFiles& files, const std::string& device, Precision precision)
    : impl_(std::make_unique<Impl>()) {
  check_device_name(device);
  impl_->device = torch::Device(device);
  auto transformer_config = load_diffusion_transformer_config(files.transformer_config.string());
  impl_->mode = transformer_config.conditioning == ConditioningKind::kClipEmbedding ? ConditioningMode::kText
                                                                                     : ConditioningMode::kImage;

  if (files.average_picture_views && impl_->mode == ConditioningMode::kText) {
    throw std::invalid_argument("averaging a picture's views is for image models; " +
                                files.transformer_config.string() + " is a text model");
  }
  impl_->average_picture_views = files.average_picture_views;

  ClipLoadOptions clip_options;
  clip_options.towers = impl_->mode == ConditioningMode::kText ? ClipTowers::kText : ClipTowers::kVision;
  if (!files.clip_config.empty()) clip_options.config = load_clip_config_json(files.clip_config);
  impl_->clip = load_clip_model(files.clip_weights, clip_options);
  if (impl_->mode == ConditioningMode::kText) impl_->tokenizer = std::make_unique<ClipTokenizer>();

  // The conditioning widths come from CLIP, as shap-e's ImageCLIP derives them.
  const auto& clip_config = impl_->clip->config();
  transformer_config.clip_feature_dim = clip_config.embed_dim;
  transformer_config.clip_grid_feature_dim = clip_config.grid_feature_dim();
  transformer_config.clip_grid_tokens = clip_config.grid_tokens();
  {
    const SkipRandomInit skip;  // every parameter is bound below
    impl_->model = SplitVectorDiffusion(transformer_config);
  }
  // Converted before binding, so each weight is copied once, straight from the file's mapping into
  // its final dtype; those that stay float32 (all in fp32; in bf16 those set_precision keeps) share
  // the mapping, no copy.
  impl_->model->set_precision(precision);
  WeightBindingOptions binding;
  binding.share_memory = true;
  try {
    bind_weights(*impl_->model, open_checkpoint(files.transformer_weights), binding);
  } catch (const WeightBindingError& error) {
    throw WeightBindingError(files.transformer_weights.string() + ": " + error.what());
  }
  impl_->model->eval();
  impl_->model->to(impl_->device);
  impl_->diffusion = std::make_unique<GaussianDiffusion>(load_diffusion_config(files.diffusion_config.string()));
}

LatentGenerator::~LatentGenerator() = default;

ConditioningMode LatentGenerator::mode() const { return impl_->mode; }

int64_t LatentGenerator::latent_size() const { return impl_->model->config().d_latent; }

Precision LatentGenerator::precision() const { return impl_->model->precision(); }

GenerationResult LatentGenerator::generate(const std::vector<Condition>& conditions, const GenerationSettings& settings,
                                           const GenerationCallback& on_step, const std::atomic<bool>* cancel) {
  if (conditions.empty()) throw std::invalid_argument("nothing to generate: no prompt or image given");
  GenerationResult result;
  const auto condition = impl_->condition_tensor(conditions, result.notices);

  KarrasSamplerOptions options;
  options.sampler = settings.sampler;
  options.steps = settings.steps;
  options.guidance_scale = settings.guidance_scale;
  options.sigma_min = settings.sigma_min;
  options.sigma_max = settings.sigma_max;
  options.rho = settings.rho;
  options.s_churn = settings.s_churn;
  options.clip_denoised = settings.clip_denoised;
  options.guidance_sigma_low = settings.guidance_sigma_low;
  options.guidance_sigma_high = settings.guidance_sigma_high;
  options.guidance_scale_outside = settings.guidance_scale_outside;
  options.guidance_rescale = settings.guidance_rescale;
  options.guidance_threshold = settings.guidance_threshold;

  const auto start = std::chrono::steady_clock::now();
  SamplerCallback report;
  if (on_step) {
    report = [&](const SamplerProgress& progress) {
      GenerationStep step;
      step.step = progress.step;
      step.total_steps = progress.total_steps;
      step.sigma = progress.sigma;
      step.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      step.evaluations = progress.evaluations;
      step.total_evaluations = progress.total_evaluations;
      // Heun's steps cost two evaluations but the last, so time per evaluation is the steady rate.
      step.eta_seconds = step.elapsed_seconds / static_cast<double>(progress.evaluations) *
                         static_cast<double>(progress.total_evaluations - progress.evaluations);
      step.noisy = rows_to_latents(progress.x);
      step.predicted = rows_to_latents(progress.pred_xstart);
      on_step(step);
    };
  }
  const auto latents = sample_latents(impl_->model, *impl_->diffusion, condition, settings.seed, options, report, cancel);
  result.latents = rows_to_latents(latents);
  return result;
}

}  // namespace shape
