// Stage 2 training: the latent diffusion transformer (text300M's or image300M's class, as its config
// names, any size) on the latents the stage-1 encoder gives the training shapes, conditioned on
// their captions through a CLIP text tower, or on pictures of them (primitive_image_set.h) through
// the patch grid of a CLIP vision tower: frozen CLIP weights when given, otherwise a small
// CLIP-architecture tower trained jointly (`shape-cli train-diffusion`).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>

#include <torch/types.h>

#include "inference/diffusion/gaussian_diffusion.h"
#include "inference/pipeline/official_models.h"
#include "inference/training/distributed.h"
#include "inference/training/primitives.h"
#include "inference/training/training_run.h"

namespace shape::training {

struct DiffusionTrainingOptions {
  std::filesystem::path transformer_config;  // shap-e YAML of a text- or image-conditioned model
  std::filesystem::path diffusion_config;    // schedule (shap-e's diffusion_config.yaml)
  std::filesystem::path transmitter_config;  // the stage-1 run's transmitter.yaml
  std::filesystem::path transmitter_weights;  // and its transmitter.safetensors
  std::filesystem::path clip_config;   // JSON of CLIP's dimensions (needed without clip_weights)
  std::filesystem::path clip_weights;  // optional: frozen CLIP; else the CLIP tower trains jointly
  std::filesystem::path run_dir;
  std::filesystem::path data;        // as stage 1: a mesh folder, or empty for the primitives
  // Image models only (they train on the primitives): where their pictures are cached (empty:
  // <run_dir>/images), and how many of each shape.
  std::filesystem::path image_cache;
  int64_t views_per_shape = 4;
  int64_t procedural_shapes = 1024;
  PrimitiveKindWeights kind_weights;  // of the procedural set (make_primitive_dataset)
  int64_t steps = 4000;
  int64_t batch_size = 32;
  double learning_rate = 5e-4;
  int64_t warmup_steps = 100;
  uint64_t seed = 0;
  int64_t log_every = 10;
  int64_t checkpoint_every = 200;
  bool resume = false;
  // A model folder (a finished train-diffusion run) whose transformer and CLIP tower weights to
  // start from (fine-tuning), instead of a random init. An image model's tower may be widened on
  // the way: clip_config at k times its resolution and patch size (tower_widening.h). Either
  // starting model may have fewer transformer layers than transformer_config: the added layers
  // start as the identity (model_deepening.h).
  std::filesystem::path initial_model;
  // Image models: a text model folder of the same width (the demo text model) whose diffusion
  // transformer starts this one's, all but the condition embedding (a vector's Linear there, the
  // grid's LayerNorm + Linear here): the backbone then already knows the latents, and stage 2 need
  // only teach it to read pictures. Not with initial_model.
  std::filesystem::path initial_text_model;
  // Image models trained with their tower: an image model folder whose vision tower starts this
  // one's (its patch kernels widened as for initial_model), while the transformer starts from
  // initial_text_model or a random init; e.g. a deeper stage 2 trained afresh on a tower that
  // already reads the pictures. Not with initial_model, which brings its own tower.
  std::filesystem::path initial_tower_model;
  // Caption matching for a jointly trained CLIP tower (caption_matching.h; an image model matches
  // its pictures to the shapes' latents the same way): steps of it alone
  // before stage 2 (a fresh run only: a resumed one has had them), and its weight as a term of the
  // stage-2 loss. Both 0: off.
  int64_t text_warmup_steps = 0;
  double caption_matching_weight = 0.0;
  // The weight of the caption word loss (caption_words.h), in the warm-up and in stage 2; 0: off.
  double caption_word_weight = 0.0;
  // Image models with caption words: the weight of their agreement term (caption_word_loss), which
  // pulls the kind and size the tower reads from a picture towards those it reads from the
  // picture's grey copy. 0: off.
  double colour_blind_weight = 0.0;
  // Image models: a text model folder of the same latents (the demo text model) whose prediction
  // for each picture's caption the image model also learns (text_teacher.h), as a loss term of
  // weight teacher_weight. Empty: off.
  std::filesystem::path teacher_text_model;
  double teacher_weight = 1.0;
  // Image models: the pictures go through random flips, zooms and shifts (picture_jitter.h) in the
  // warm-up and stage 2.
  bool jitter_pictures = false;
  // Which noise levels a step trains on: uniformly over the schedule's timesteps (shap-e), or as
  // the Karras sampler visits them (see draw_training_timesteps).
  bool sampler_noise_levels = false;
  // Data-parallel training, as stage 1's (EncoderTrainingOptions::distributed). Not with caption
  // matching as a loss term: it compares each caption with every shape of the batch.
  DistributedOptions distributed;
};

struct DiffusionTrainingResult {
  int64_t steps = 0;
  double seconds = 0.0;
  double final_loss = 0.0;
  ModelFileSet files;  // the model folder's files
  double gradient_averaging_seconds = 0.0;  // data-parallel: per step (DataParallel)
};

// A batch of training timesteps. Uniform over the schedule is shap-e's choice; under its exp
// schedule only 6% of those timesteps have less noise than signal (sigma < 1), yet 37% of the
// 64-step Karras sampler's steps are there, and that is where a small model settles fine shape
// (cube against cylinder) and colour. With `sampler_noise_levels` the draws follow the sampler:
// sigma with its rho-7 spacing between its sigma_min and sigma_max, mapped to a timestep as the
// sampler maps it (so the 21% of draws below the schedule's smallest sigma train timestep 0, as
// those sampler steps use it).
torch::Tensor draw_training_timesteps(const GaussianDiffusion& diffusion, int64_t batch, bool sampler_noise_levels,
                                      torch::Generator& generator);

// Trains (or resumes) and makes the run folder a model folder (pipeline/model_folder.h) that
// generate loads: text_cond.{yaml,safetensors}, clip_text.json and the jointly trained
// clip_text.safetensors (an image model: image_cond.*, clip_vision.*), diffusion.yaml, and a copy of
// the stage-1 transmitter.{yaml,safetensors}.
// `cancel` stops after the current step with a checkpoint written.
DiffusionTrainingResult train_diffusion(const DiffusionTrainingOptions& options,
                                        const TrainingCallback& on_progress = nullptr,
                                        const std::atomic<bool>* cancel = nullptr);

}  // namespace shape::training
