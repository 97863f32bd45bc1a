// Stage 1 training: point cloud -> encoder -> latent -> params projection + NeRSTF MLP, fitted to
// signed distances and colours of the training shapes (`shape-cli train-encoder`).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>

#include "inference/decoder/shape_decoder.h"
#include "inference/training/distributed.h"
#include "inference/training/point_cloud_encoder.h"
#include "inference/training/primitives.h"
#include "inference/training/shape_dataset.h"
#include "inference/training/training_run.h"

namespace shape::training {

struct EncoderTrainingOptions {
  std::filesystem::path transmitter_config;  // shap-e transmitter YAML (encoder + decoder)
  std::filesystem::path run_dir;
  std::filesystem::path data;        // a mesh folder with captions.jsonl; empty: procedural primitives
  int64_t procedural_shapes = 1024;  // size of the procedural set
  PrimitiveKindWeights kind_weights;  // of the procedural set (make_primitive_dataset)
  int64_t steps = 2000;
  int64_t batch_size = 8;
  double learning_rate = 1e-3;
  int64_t warmup_steps = 100;
  uint64_t seed = 0;
  int64_t log_every = 10;
  int64_t checkpoint_every = 100;
  bool resume = false;
  // Points per shape per step; each shape's pool holds eight times as many, drawn once.
  int64_t query_points = 1024;
  // Transmitter weights to start from (fine-tuning a trained model), instead of a random init: a
  // transmitter.safetensors, or a run or model folder holding one.
  std::filesystem::path initial_weights;
  // Trains only the params projection and the decoder MLP, keeping the encoder (so the latent space,
  // and any stage-2 model trained on it, stays valid). Needs initial_weights or a resumed run.
  bool decoder_only = false;
  // Half of each shape's near-surface queries are the worst-fitted of a four times larger draw,
  // scored by the current decoder: the edges and corners that a smooth MLP rounds off (a cube's
  // vertical edges, among mostly round shapes) get the weight that uniform sampling spreads thin.
  bool focus_on_errors = false;
  // Data-parallel training: batch_size is per rank, and the ranks together train on the global batch
  // of batch_size x world size that one process would draw (distributed.h). Rank 0 writes the run folder.
  DistributedOptions distributed;
};

// The stage-1 model: the trunk plus the decoder it feeds (which is what inference loads).
struct Transmitter {
  PointCloudEncoder encoder{nullptr};
  ShapeDecoder decoder{nullptr};

  explicit Transmitter(const std::filesystem::path& config_path);
  // encoder.* (trunk and params_proj) and renderer.*: the official transmitter key names.
  NamedTensors named_tensors() const;
  // Throws WeightBindingError naming what does not fit.
  void load(const StateDict& weights);
  std::vector<torch::Tensor> parameters() const;
};

// Loss terms of one batch (each a scalar tensor); `total` is what is minimised.
struct EncoderLosses {
  torch::Tensor total, sdf, colour, density, nerf_colour;
};

// One batch: `surface` [B, n, 6] encoder input; queries [B, Q, 3] with sdf [B, Q] (positive
// inside) and colour [B, Q, 3]; the first `near_surface` queries of each shape lie near its surface.
struct EncoderBatch {
  torch::Tensor surface, query_points, query_sdf, query_colour;
  int64_t near_surface = 0;
};

// The NeRF terms' view directions: [B, Q, 3] random unit vectors.
torch::Tensor random_view_directions(int64_t batch, int64_t queries, at::Generator& generator);

EncoderLosses encoder_losses(ShapeDecoderImpl& decoder, const torch::Tensor& latent, const EncoderBatch& batch,
                             const torch::Tensor& view_directions);

// EncoderTrainingOptions::focus_on_errors: `batch` holds more near-surface queries than a step uses
// (`near`). Keeps the first near / 2 as drawn and, of the ones after them, the near - near / 2 whose
// signed distance the decoder gets most wrong, then the other queries unchanged.
EncoderBatch focus_on_errors(ShapeDecoderImpl& decoder, const torch::Tensor& latent, const EncoderBatch& batch,
                             int64_t near);

struct EncoderTrainingResult {
  int64_t steps = 0;
  double seconds = 0.0;
  double final_loss = 0.0;
  std::filesystem::path model;  // <run>/transmitter.safetensors
  std::filesystem::path config;  // <run>/transmitter.yaml
  double gradient_averaging_seconds = 0.0;  // data-parallel: per step (DataParallel)
};

// Trains (or resumes) and exports <run>/transmitter.{yaml,safetensors}. `cancel` stops after the
// current step with a checkpoint written. Throws TrainingError, ConfigError, CheckpointError.
EncoderTrainingResult train_encoder(const EncoderTrainingOptions& options, const TrainingCallback& on_progress = nullptr,
                                    const std::atomic<bool>* cancel = nullptr);

// The dataset the options name (a mesh folder or the procedural primitives). Kind weights are for
// the primitives only: with a mesh folder they throw TrainingError.
std::unique_ptr<ShapeDataset> open_training_dataset(const std::filesystem::path& data, int64_t procedural_shapes,
                                                    const PrimitiveKindWeights& kind_weights, uint64_t seed);

}  // namespace shape::training
