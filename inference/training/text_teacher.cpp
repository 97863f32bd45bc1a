#include "inference/training/text_teacher.h"

#include "inference/checkpoint/checkpoint.h"
#include "inference/clip/clip_config.h"
#include "inference/clip/clip_weights.h"
#include "inference/config/model_config.h"
#include "inference/models/skip_random_init.h"
#include "inference/models/weight_binding.h"
#include "inference/pipeline/model_folder.h"
#include "inference/training/training_run.h"

namespace shape::training {

TextTeacher::TextTeacher(const std::filesystem::path& model_folder, int64_t latent_size) : latent_size_(latent_size) {
  for (const char* file : {kTransformerConfigFile, kTransformerWeightsFile, kClipConfigFile, kClipWeightsFile}) {
    if (!std::filesystem::exists(model_folder / file)) {
      throw TrainingError("the teacher " + model_folder.string() + " is not a text model folder: it has no " + file);
    }
  }
  ClipLoadOptions clip_options;
  clip_options.towers = ClipTowers::kText;
  clip_options.config = load_clip_config_json(model_folder / kClipConfigFile);
  tower_ = load_clip_model(model_folder / kClipWeightsFile, clip_options);
  auto config = load_diffusion_transformer_config((model_folder / kTransformerConfigFile).string());
  if (config.conditioning != ConditioningKind::kClipEmbedding) {
    throw TrainingError("the teacher " + model_folder.string() + "'s " + kTransformerConfigFile +
                        " is not a text-conditioned model");
  }
  if (config.d_latent != latent_size) {
    throw TrainingError("the teacher " + model_folder.string() + " makes latents of " + std::to_string(config.d_latent) +
                        " values, this model " + std::to_string(latent_size));
  }
  config.clip_feature_dim = tower_->config().embed_dim;
  {
    const SkipRandomInit skip;  // every parameter is bound below
    model_ = SplitVectorDiffusion(config);
  }
  bind_weights(*model_, load_checkpoint(model_folder / kTransformerWeightsFile));
  for (auto& parameter : tower_->parameters()) parameter.requires_grad_(false);
  for (auto& parameter : model_->parameters()) parameter.requires_grad_(false);
  model_->eval();
}

torch::Tensor TextTeacher::predict(const torch::Tensor& x_t, const torch::Tensor& t, const torch::Tensor& tokens,
                                   const torch::Tensor& keep) {
  torch::NoGradGuard no_grad;
  const auto condition = tower_->embed_text(tokens) * keep;
  return model_->forward(x_t, t, condition).narrow(1, 0, latent_size_);
}

}  // namespace shape::training
