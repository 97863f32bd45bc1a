// A finished text model as the teacher of an image model (train-diffusion --image --teacher DIR):
// for each picture, the text model is given its caption and the same noisy latent, and the image
// model learns to predict what the text model predicts as well as the latent itself. The text
// model's prediction is a function of (x_t, t, caption), where the latent is one random shape of
// the combination, so the teacher hands the image model a steadier target than the data alone,
// and its knowledge of shapes (90.9% of held-out captions right) with it.
#pragma once

#include <filesystem>

#include <torch/types.h>

#include "inference/clip/clip_model.h"
#include "inference/models/diffusion_transformer.h"

namespace shape::training {

class TextTeacher {
 public:
  // Loads the model folder's text model (text_cond.*, clip_text.*), frozen. Throws TrainingError
  // when the folder holds none or its latents are not `latent_size` values.
  TextTeacher(const std::filesystem::path& model_folder, int64_t latent_size);
  // The teacher's prediction (the first `latent_size` outputs) for noisy latents `x_t` [n, latent]
  // at timesteps `t`, given caption tokens [n, context]; rows where `keep` [n, 1] is 0 see the zero
  // embedding, as the student's do.
  torch::Tensor predict(const torch::Tensor& x_t, const torch::Tensor& t, const torch::Tensor& tokens,
                        const torch::Tensor& keep);

 private:
  int64_t latent_size_;
  ClipModel tower_{nullptr};
  SplitVectorDiffusion model_{nullptr};
};

}  // namespace shape::training
