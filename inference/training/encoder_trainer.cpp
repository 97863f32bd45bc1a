#include "inference/training/encoder_trainer.h"

#include <chrono>
#include <optional>

#include <torch/optim/adam.h>

#include "inference/checkpoint/checkpoint.h"
#include "inference/decoder/decoder_config.h"
#include "inference/export/file_io.h"
#include "inference/pipeline/model_folder.h"
#include "inference/training/primitives.h"

namespace shape::training {
namespace fs = std::filesystem;
namespace {

// The path length over which the density loss wants the inside opaque (alpha ~0.95 at density 12).
// Rendering steps are shorter (~0.02), but rays cross at least ~0.5 of a solid primitive, an
// optical depth of ~6: opaque, without densities in the hundreds that a small MLP learns slowly.
constexpr double kDensityStep = 0.25;
// SDF targets are clamped so the tanh head is not driven into saturation far from the surface,
// where only the sign matters.
constexpr double kSdfClamp = 0.5;
// Half the queries lie near the surface, half anywhere in the cube: fewer uniform ones leave sign
// errors away from the surface unpunished, which mesh as floating blobs.
constexpr int64_t kNearSurfaceQueriesPerHundred = 50;

// The colour heads answer in sRGB (the STF mesher and NeRF images read them so), while shapes carry
// linear colours.
torch::Tensor linear_to_srgb(const torch::Tensor& linear) {
  const auto clamped = linear.clamp(0.0, 1.0);
  return torch::where(clamped <= 0.0031308, clamped * 12.92, 1.055 * torch::pow(clamped, 1.0 / 2.4) - 0.055);
}

// The STF fields at `points`, queried without a direction as the mesher does.
NerstfFields stf_fields(ShapeDecoderImpl& decoder, const torch::Tensor& points, const MetaParameters& params) {
  auto& mlp = decoder.mlp();
  return mlp.activate(mlp.forward_raw(points, {}, params), NerfLevel::kFine, FieldMode::kStf);
}

// Per query: how far the predicted signed distance is from the (clamped) target.
torch::Tensor signed_distance_errors(const NerstfFields& stf, const torch::Tensor& target_sdf) {
  return (stf.signed_distance.squeeze(-1) - target_sdf.clamp(-kSdfClamp, kSdfClamp)).abs();
}

// Every shape of the dataset sampled once, with more points than a step uses; steps draw subsets.
// Queries are plentiful (a fixed few per shape let the decoder fit them and round the edges between).
constexpr int64_t kQueryPoolMultiple = 8;
struct SamplePool {
  std::vector<ShapeSample> samples;
  int64_t near_surface = 0;  // per sample, at the front of its queries
};

SamplePool build_pool(const ShapeDataset& dataset, const EncoderTrainingOptions& options, int64_t data_ctx) {
  SampleOptions sampling;
  sampling.surface_points = 2 * data_ctx;
  sampling.near_surface_points = kQueryPoolMultiple * (options.query_points * kNearSurfaceQueriesPerHundred / 100);
  sampling.uniform_points = kQueryPoolMultiple * options.query_points - sampling.near_surface_points;
  SamplePool pool;
  pool.near_surface = sampling.near_surface_points;
  pool.samples.reserve(dataset.size());
  for (int64_t i = 0; i < dataset.size(); ++i) pool.samples.push_back(dataset.sample(i, options.seed, sampling));
  return pool;
}

// `near` of each shape's near-surface queries and `uniform` of its others, drawn from its pool: the
// shapes [first, first + count) of a batch of `batch_size` (the draws of the others are made and
// dropped, so a rank's share is what one process drawing the whole batch would give it).
EncoderBatch draw_batch(const SamplePool& pool, int64_t batch_size, int64_t first, int64_t count, int64_t data_ctx,
                        int64_t near, int64_t uniform, at::Generator& generator) {
  const auto indices = torch::randint(static_cast<int64_t>(pool.samples.size()), {batch_size}, generator, torch::kLong);
  std::vector<torch::Tensor> surface, points, sdf, colour;
  for (int64_t b = 0; b < batch_size; ++b) {
    const ShapeSample& sample = pool.samples[indices[b].item<int64_t>()];
    const auto surface_pick = torch::randperm(sample.surface.size(0), generator, torch::kLong).narrow(0, 0, data_ctx);
    const auto near_pick = torch::randperm(pool.near_surface, generator, torch::kLong).narrow(0, 0, near);
    const int64_t pool_uniform = sample.query_points.size(0) - pool.near_surface;
    const auto uniform_pick =
        torch::randperm(pool_uniform, generator, torch::kLong).narrow(0, 0, uniform) + pool.near_surface;
    if (b < first || b >= first + count) continue;
    const auto query_pick = torch::cat({near_pick, uniform_pick});
    surface.push_back(sample.surface.index_select(0, surface_pick));
    points.push_back(sample.query_points.index_select(0, query_pick));
    sdf.push_back(sample.query_sdf.index_select(0, query_pick));
    colour.push_back(sample.query_colour.index_select(0, query_pick));
  }
  return {torch::stack(surface), torch::stack(points), torch::stack(sdf), torch::stack(colour), near};
}

// With focus_on_errors, steps draw this many times the near-surface queries they use.
constexpr int64_t kErrorFocusDraw = 4;

void validate(const EncoderTrainingOptions& options) {
  auto positive = [](int64_t value, const char* what) {
    if (value <= 0) throw TrainingError(std::string(what) + " must be positive, got " + std::to_string(value));
  };
  positive(options.steps, "steps");
  positive(options.batch_size, "batch size");
  positive(options.log_every, "log interval");
  positive(options.checkpoint_every, "checkpoint interval");
  positive(options.query_points, "query points");
  if (options.data.empty()) positive(options.procedural_shapes, "procedural shapes");
  if (!(options.learning_rate > 0.0)) throw TrainingError("the learning rate must be positive");
  if (options.decoder_only && options.initial_weights.empty() && !options.resume) {
    throw TrainingError("decoder-only training keeps a trained encoder: give the weights to start from");
  }
}

}  // namespace

Transmitter::Transmitter(const fs::path& config_path)
    : encoder(load_encoder_config(config_path.string())), decoder(load_decoder_config(config_path.string())) {}

NamedTensors Transmitter::named_tensors() const {
  NamedTensors tensors = module_tensors(*encoder, "encoder.");
  for (auto& entry : module_tensors(*decoder)) tensors.push_back(std::move(entry));
  return tensors;
}

void Transmitter::load(const StateDict& weights) {
  bind_decoder_weights(*decoder, weights);
  WeightBindingOptions trunk;
  trunk.key_prefix = "encoder.";
  trunk.ignored_prefixes = {"encoder.params_proj.", "renderer."};
  bind_weights(*encoder, weights, trunk);
}

std::vector<torch::Tensor> Transmitter::parameters() const {
  auto parameters = encoder->parameters();
  for (auto& parameter : decoder->parameters()) parameters.push_back(parameter);
  return parameters;
}

torch::Tensor random_view_directions(int64_t batch, int64_t queries, at::Generator& generator) {
  const auto directions = torch::randn({batch, queries, 3}, generator, torch::kFloat32);
  return directions / directions.norm(2, -1, true).clamp_min(1e-6);
}

EncoderLosses encoder_losses(ShapeDecoderImpl& decoder, const torch::Tensor& latent, const EncoderBatch& batch,
                             const torch::Tensor& view_directions) {
  const auto params = decoder.latent_to_params(latent);
  auto& mlp = decoder.mlp();
  const int64_t near = batch.near_surface;
  const auto near_colour = linear_to_srgb(batch.query_colour.narrow(1, 0, near));

  // STF: signed distance and texture colour.
  const auto stf = stf_fields(decoder, batch.query_points, params);
  EncoderLosses losses;
  losses.sdf = signed_distance_errors(stf, batch.query_sdf).mean();
  losses.colour = (stf.channels.narrow(1, 0, near) - near_colour).abs().mean();

  // NeRF: densities that make the inside opaque and the outside empty, and view colours, from random
  // view directions. (With a ReLU density, inside points stuck at zero get no gradient here: the
  // demo config uses shap-e's default exp activation.)
  const auto raw = mlp.forward_raw(batch.query_points, view_directions, params);
  const auto inside = (batch.query_sdf > 0).to(torch::kFloat32);
  losses.density = torch::zeros({});
  losses.nerf_colour = torch::zeros({});
  for (const auto level : {NerfLevel::kCoarse, NerfLevel::kFine}) {
    const auto nerf = mlp.activate(raw, level, FieldMode::kNerf);
    const auto alpha = 1.0 - torch::exp(-nerf.density.squeeze(-1) * kDensityStep);
    losses.density = losses.density + (alpha - inside).pow(2).mean();
    losses.nerf_colour = losses.nerf_colour + (nerf.channels.narrow(1, 0, near) - near_colour).abs().mean();
  }
  losses.total = losses.sdf + losses.colour + losses.density + losses.nerf_colour;
  return losses;
}

EncoderBatch focus_on_errors(ShapeDecoderImpl& decoder, const torch::Tensor& latent, const EncoderBatch& batch,
                             int64_t near) {
  if (near <= 0 || batch.near_surface <= near) {
    throw std::invalid_argument("focus_on_errors: the batch must hold more near-surface queries than it keeps");
  }
  const int64_t random = near / 2, candidates = batch.near_surface - random;
  torch::Tensor error;
  {
    torch::NoGradGuard no_grad;
    const auto points = batch.query_points.narrow(1, random, candidates);
    const auto stf = stf_fields(decoder, points, decoder.latent_to_params(latent));
    error = signed_distance_errors(stf, batch.query_sdf.narrow(1, random, candidates));
  }
  const auto worst = std::get<1>(error.topk(near - random, 1)) + random;
  const int64_t others = batch.query_points.size(1) - batch.near_surface;
  const auto pick = [&](const torch::Tensor& values) {  // [B, Q] or [B, Q, C]
    const auto index = values.dim() == 2 ? worst : worst.unsqueeze(-1).expand({-1, -1, values.size(2)});
    const auto drawn = values.narrow(1, 0, random), rest = values.narrow(1, batch.near_surface, others);
    return torch::cat({drawn, values.gather(1, index), rest}, 1);
  };
  return {batch.surface, pick(batch.query_points), pick(batch.query_sdf), pick(batch.query_colour), near};
}

std::unique_ptr<ShapeDataset> open_training_dataset(const fs::path& data, int64_t procedural_shapes,
                                                    const PrimitiveKindWeights& kind_weights, uint64_t seed) {
  if (data.empty()) return make_primitive_dataset(procedural_shapes, seed, kind_weights);
  if (!kind_weights.empty()) {
    throw TrainingError("kind weights are for the procedural primitives, not a mesh folder (" + data.string() + ")");
  }
  return load_mesh_folder_dataset(data);
}

EncoderTrainingResult train_encoder(const EncoderTrainingOptions& options, const TrainingCallback& on_progress,
                                    const std::atomic<bool>* cancel) {
  validate(options);
  DataParallel parallel(options.distributed);
  // Initial weights come from the global generator: seed it so a run is reproducible.
  torch::manual_seed(options.seed);
  Transmitter model(options.transmitter_config);
  const int64_t data_ctx = model.encoder->config().data_ctx;
  torch::optim::Adam optimizer(options.decoder_only ? model.decoder->parameters() : model.parameters(),
                               torch::optim::AdamOptions(options.learning_rate));

  const auto checkpoint = open_run(options.run_dir, options.resume);
  int64_t start_step = 0;
  double previous_seconds = 0.0;
  if (checkpoint) {
    model.load(checkpoint->model);  // a resumed run already holds what it was initialised from
    load_optimizer_state(*checkpoint, optimizer);
    start_step = checkpoint->step;
    previous_seconds = checkpoint->seconds;
  } else if (!options.initial_weights.empty()) {
    const bool folder = fs::is_directory(options.initial_weights);
    model.load(load_checkpoint(folder ? options.initial_weights / kTransmitterWeightsFile : options.initial_weights));
  }
  parallel.require_same(start_step, "the step to resume from (every rank must see the same run folder)");
  parallel.broadcast_parameters(model.parameters());
  const std::vector<std::string> columns{"loss", "sdf_loss", "colour_loss", "density_loss", "nerf_colour_loss", "lr"};
  std::optional<LossLog> log;
  if (parallel.is_root()) log.emplace(options.run_dir / "loss.csv", columns, start_step);

  const auto dataset = open_training_dataset(options.data, options.procedural_shapes, options.kind_weights, options.seed);
  const SamplePool pool = build_pool(*dataset, options, data_ctx);

  const auto session_start = std::chrono::steady_clock::now();
  auto session_seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - session_start).count();
  };
  std::vector<double> window(columns.size() - 1, 0.0);
  int64_t window_steps = 0;
  double last_loss = 0.0;
  const int64_t near = options.query_points * kNearSurfaceQueriesPerHundred / 100;
  const int64_t near_drawn = options.focus_on_errors ? kErrorFocusDraw * near : near;
  // This rank's share of the global batch.
  const int64_t global_batch = options.batch_size * parallel.world_size();
  const int64_t first = options.batch_size * parallel.rank();
  int64_t step = start_step;
  bool cancelled = false;
  while (step < options.steps) {
    // Checked before a step, so a stop requested during the previous one (Ctrl-C, a progress
    // callback) takes effect at once. Ranks instead agree on stopping after a step (below).
    if (!parallel.distributed() && cancel != nullptr && cancel->load()) {
      cancelled = true;
      break;
    }
    auto generator = step_generator(options.seed, step);
    const double rate =
        warmup_cosine_learning_rate(options.learning_rate, options.warmup_steps, options.steps, step);
    set_learning_rate(optimizer, rate);
    EncoderBatch batch = draw_batch(pool, global_batch, first, options.batch_size, data_ctx, near_drawn,
                                    options.query_points - near, generator);
    const auto noise = torch::randn({global_batch, model.encoder->config().latent_ctx, model.encoder->config().d_latent},
                                    generator, torch::kFloat32)
                           .narrow(0, first, options.batch_size);
    const auto directions =
        random_view_directions(global_batch, options.query_points, generator).narrow(0, first, options.batch_size);
    clear_gradients(optimizer);
    const auto latent = [&] {
      torch::AutoGradMode encoder_gradients(!options.decoder_only);
      return model.encoder->forward(batch.surface, noise);
    }();
    if (options.focus_on_errors) batch = focus_on_errors(*model.decoder, latent, batch, near);
    const EncoderLosses losses = encoder_losses(*model.decoder, latent, batch, directions);
    losses.total.backward();
    parallel.average_gradients(optimizer);
    optimizer.step();
    ++step;

    std::vector<double> values{losses.total.item<double>(), losses.sdf.item<double>(), losses.colour.item<double>(),
                               losses.density.item<double>(), losses.nerf_colour.item<double>()};
    if (parallel.distributed()) cancelled = parallel.average_losses_and_stop(values, cancel != nullptr && cancel->load());
    for (size_t i = 0; i < values.size(); ++i) window[i] += values[i];
    ++window_steps;
    last_loss = values[0];

    const bool log_now = step % options.log_every == 0 || step == options.steps;
    if (log_now) {
      std::vector<double> row;
      for (const double sum : window) row.push_back(sum / window_steps);
      row.push_back(rate);
      const double seconds = previous_seconds + session_seconds();
      if (log) {
        log->append(step, seconds, row);
        if (on_progress) {
          on_progress({step, options.steps, seconds,
                       eta_seconds(session_seconds(), step - start_step, options.steps - step), log->named(row), {}});
        }
      }
      std::fill(window.begin(), window.end(), 0.0);
      window_steps = 0;
    }
    if (parallel.is_root() && (step % options.checkpoint_every == 0 || step == options.steps)) {
      save_training_checkpoint(options.run_dir, step, previous_seconds + session_seconds(), model.named_tensors(),
                               optimizer);
    }
    if (cancelled) break;
  }

  // A stop between checkpoints keeps the steps done (the loss rows since the last one are not logged).
  if (cancelled && step % options.checkpoint_every != 0 && parallel.is_root()) {
    save_training_checkpoint(options.run_dir, step, previous_seconds + session_seconds(), model.named_tensors(),
                             optimizer);
  }

  EncoderTrainingResult result;
  result.steps = step;
  result.seconds = previous_seconds + session_seconds();
  result.final_loss = last_loss;
  result.model = options.run_dir / "transmitter.safetensors";
  result.config = options.run_dir / "transmitter.yaml";
  result.gradient_averaging_seconds = parallel.seconds_per_gradient_average();
  if (!parallel.is_root()) return result;
  write_files_atomically({{result.config, read_whole_file(options.transmitter_config)}});
  save_safetensors(result.model, model.named_tensors(), {{"format", "pt"}, {"stage", "encoder"}});
  return result;
}

}  // namespace shape::training
