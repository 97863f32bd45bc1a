#include "inference/training/diffusion_trainer.h"

#include <chrono>
#include <optional>
#include <vector>

#include <torch/optim/adam.h>

#include "inference/checkpoint/checkpoint.h"
#include "inference/clip/bpe_tokenizer.h"
#include "inference/clip/clip_config.h"
#include "inference/clip/clip_model.h"
#include "inference/clip/clip_weights.h"
#include "inference/clip/image_file.h"
#include "inference/config/model_config.h"
#include "inference/diffusion/gaussian_diffusion.h"
#include "inference/diffusion/karras_sampler.h"
#include "inference/export/file_io.h"
#include "inference/models/diffusion_transformer.h"
#include "inference/models/weight_binding.h"
#include "inference/pipeline/model_folder.h"
#include "inference/training/caption_matching.h"
#include "inference/training/encoder_trainer.h"
#include "inference/training/model_deepening.h"
#include "inference/training/picture_jitter.h"
#include "inference/training/primitive_image_set.h"
#include "inference/training/text_teacher.h"
#include "inference/training/tower_widening.h"

namespace shape::training {
namespace fs = std::filesystem;
namespace {

torch::Tensor encode_latents(Transmitter& transmitter, const ShapeDataset& dataset, uint64_t seed) {
  SampleOptions sampling;
  sampling.surface_points = transmitter.encoder->config().data_ctx;
  sampling.near_surface_points = 1;  // queries are not needed to encode
  sampling.uniform_points = 1;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> latents;
  constexpr int64_t kChunk = 32;
  for (int64_t begin = 0; begin < dataset.size(); begin += kChunk) {
    std::vector<torch::Tensor> clouds;
    for (int64_t i = begin; i < std::min(dataset.size(), begin + kChunk); ++i) {
      clouds.push_back(dataset.sample(i, seed, sampling).surface);
    }
    latents.push_back(transmitter.encoder->forward(torch::stack(clouds)).flatten(1));
  }
  return torch::cat(latents);
}

// The training shapes' latents with their captions (a text model) or pictures (an image model,
// CLIP-preprocessed exactly as generation preprocesses a user's picture).
CaptionedLatents encode_dataset(const DiffusionTrainingOptions& options, const ClipModel& clip, bool image_model,
                                const TrainingCallback& on_progress) {
  Transmitter transmitter(options.transmitter_config);
  transmitter.load(load_checkpoint(options.transmitter_weights));
  transmitter.encoder->eval();
  const auto dataset =
      open_training_dataset(options.data, options.procedural_shapes, options.kind_weights, options.seed);
  torch::Tensor latents = encode_latents(transmitter, *dataset, options.seed);
  if (!image_model) {
    std::vector<std::vector<std::string>> phrasings;
    for (int64_t i = 0; i < dataset->size(); ++i) phrasings.push_back(dataset->caption_phrasings(i));
    return captioned_latents(std::move(latents), phrasings, ClipTokenizer());
  }
  PrimitiveImageSetOptions pictures;
  pictures.shapes = options.procedural_shapes;
  pictures.seed = options.seed;
  pictures.kind_weights = options.kind_weights;
  pictures.views_per_shape = options.views_per_shape;
  const auto entries = render_primitive_image_set(
      options.image_cache.empty() ? options.run_dir / "images" : options.image_cache, pictures, on_progress);
  std::vector<ImageU8> images;
  for (const auto& entry : entries) images.push_back(load_image_file(entry.file));
  std::vector<std::string> captions;
  for (int64_t i = 0; i < dataset->size(); ++i) captions.push_back(dataset->caption(i));
  std::vector<std::string> colour_words;
  for (const auto& colour : primitive_colours()) colour_words.push_back(colour.name);
  return pictured_latents(std::move(latents), clip_image_batch(images, clip->config().image_resolution),
                          std::vector<int64_t>(captions.size(), options.views_per_shape), captions, colour_words);
}

void copy_whole_file(const fs::path& from, const fs::path& to) {
  write_files_atomically({{to, read_whole_file(from)}});
}

void validate(const DiffusionTrainingOptions& options) {
  auto positive = [](int64_t value, const char* what) {
    if (value <= 0) throw TrainingError(std::string(what) + " must be positive, got " + std::to_string(value));
  };
  positive(options.steps, "steps");
  positive(options.batch_size, "batch size");
  positive(options.log_every, "log interval");
  positive(options.checkpoint_every, "checkpoint interval");
  if (options.data.empty()) positive(options.procedural_shapes, "procedural shapes");
  if (!(options.learning_rate > 0.0)) throw TrainingError("the learning rate must be positive");
  if (options.text_warmup_steps < 0) throw TrainingError("text tower warm-up steps must not be negative");
  if (!(options.caption_matching_weight >= 0.0)) {
    throw TrainingError("the caption matching weight must not be negative");
  }
  if (!(options.caption_word_weight >= 0.0)) throw TrainingError("the caption word weight must not be negative");
  const bool matching = options.text_warmup_steps > 0 || options.caption_matching_weight > 0.0;
  if (matching && !options.clip_weights.empty()) {
    throw TrainingError("caption matching trains the text tower: it does not apply to frozen CLIP weights");
  }
  if (options.caption_word_weight > 0.0 && !options.clip_weights.empty()) {
    throw TrainingError("caption words train the condition tower: they do not apply to frozen CLIP weights");
  }
  if (options.caption_matching_weight > 0.0 && options.distributed.launch.world_size > 1) {
    throw TrainingError("caption matching compares each caption with every shape of the batch, so it cannot be "
                        "split over ranks: train with it in one process");
  }
  if (options.clip_weights.empty() && options.clip_config.empty()) {
    throw TrainingError("give CLIP weights (frozen) or a CLIP config JSON for a CLIP tower trained from scratch");
  }
}

// See DiffusionTrainingOptions::initial_text_model.
void bind_text_backbone(SplitVectorDiffusion& model, const fs::path& text_model) {
  const fs::path path = text_model / kTransformerWeightsFile;
  const StateDict text = deepen_transformer(load_checkpoint(path), *model);
  const std::string condition_embedding = "wrapped.clip_embed.";
  StateDict merged;
  for (const auto& [name, tensor] : module_tensors(*model)) {
    const bool own = name.rfind(condition_embedding, 0) == 0;
    if (!own && !text.contains(name)) {
      throw TrainingError(path.string() + " has no '" + name + "': it is not a text model of this model's size");
    }
    merged.insert(name, own ? tensor : text.at(name));
  }
  try {
    bind_weights(*model, merged);
  } catch (const WeightBindingError& error) {
    throw TrainingError(path.string() + " does not fit this model's backbone: " + error.what());
  }
}

// The tower of --init-from or --tower-from. An image model's may be at a lower resolution than
// --clip-config's (tower_widening.h).
void bind_initial_tower(ClipModel& clip, const fs::path& path, bool image_model) {
  if (!image_model) {
    bind_weights(*clip, load_checkpoint(path));
    return;
  }
  try {
    const auto& config = clip->config();
    bind_weights(*clip, resample_patch_grid(widen_patch_kernels(load_checkpoint(path), config.vision_patch_size),
                                            config.grid_size()));
  } catch (const WeightBindingError& error) {
    throw TrainingError(path.string() + " does not fit the CLIP config (a tower at a higher resolution has a patch "
                        "size that is a whole multiple of the starting tower's, and the same width and depth): " +
                        error.what());
  }
}

void validate_image_model(const DiffusionTrainingOptions& options) {
  if (!options.data.empty()) {
    throw TrainingError(options.transformer_config.string() +
                        " is an image-conditioned model: it trains on pictures of the procedural primitives, not "
                        "on a mesh folder (" + options.data.string() + ")");
  }
  if (options.views_per_shape <= 0) {
    throw TrainingError("views per shape must be positive, got " + std::to_string(options.views_per_shape));
  }
  if (!options.initial_text_model.empty() && !options.initial_model.empty()) {
    throw TrainingError("start from a text model's backbone or from a finished image run, not both");
  }
  if (!options.initial_tower_model.empty() && !options.initial_model.empty()) {
    throw TrainingError("a finished image run brings its own vision tower: start the tower from another folder "
                        "only without it");
  }
  if (!options.initial_tower_model.empty() && !options.clip_weights.empty()) {
    throw TrainingError("a starting tower is for a tower trained with the model, not frozen CLIP weights");
  }
  if (!(options.teacher_weight >= 0.0)) throw TrainingError("the teacher's weight must not be negative");
  if (!(options.colour_blind_weight >= 0.0)) throw TrainingError("the colour-blind words' weight must not be negative");
  if (options.colour_blind_weight > 0.0 && !(options.caption_word_weight > 0.0)) {
    throw TrainingError("colour-blind words need caption words (--caption-words)");
  }
}

}  // namespace

torch::Tensor draw_training_timesteps(const GaussianDiffusion& diffusion, int64_t batch, bool sampler_noise_levels,
                                      torch::Generator& generator) {
  if (!sampler_noise_levels) return torch::randint(diffusion.num_timesteps(), {batch}, generator, torch::kLong);
  const KarrasSamplerOptions sampler;
  const auto ramp = torch::rand({batch}, generator, torch::kFloat64);
  const auto sigmas =
      karras_sigmas_at(ramp, sampler.sigma_min, sampler.sigma_max, sampler.rho).to(torch::kFloat32).contiguous();
  const auto sigma = sigmas.accessor<float, 1>();
  std::vector<int64_t> timesteps;
  for (int64_t i = 0; i < batch; ++i) timesteps.push_back(diffusion.sigma_to_timestep(sigma[i]));
  return torch::tensor(timesteps, torch::kLong);
}

DiffusionTrainingResult train_diffusion(const DiffusionTrainingOptions& options, const TrainingCallback& on_progress,
                                        const std::atomic<bool>* cancel) {
  validate(options);
  DataParallel parallel(options.distributed);
  torch::manual_seed(options.seed);
  auto config = load_diffusion_transformer_config(options.transformer_config.string());
  const bool image_model = config.conditioning == ConditioningKind::kClipGrid;
  if (image_model) {
    validate_image_model(options);
  } else if (!options.initial_text_model.empty()) {
    throw TrainingError("a text model's backbone starts image models only; for a text model, fine-tune it instead");
  } else if (!options.teacher_text_model.empty()) {
    throw TrainingError("a text model teaches image models only");
  } else if (options.jitter_pictures) {
    throw TrainingError("picture jitter is for image models: a text model trains on captions");
  } else if (options.colour_blind_weight > 0.0) {
    throw TrainingError("colour-blind words are for image models: a text model trains on captions");
  } else if (!options.initial_tower_model.empty()) {
    throw TrainingError("a starting vision tower is for image models: a text model reads captions");
  }
  const ModelFolderNames& names =
      model_folder_names(image_model ? ConditioningMode::kImage : ConditioningMode::kText);
  const ClipTowers tower = image_model ? ClipTowers::kVision : ClipTowers::kText;

  // The CLIP tower: frozen CLIP, or a fresh CLIP-architecture tower trained with the model.
  const bool joint_tower = options.clip_weights.empty();
  ClipModel clip{nullptr};
  if (joint_tower) {
    clip = ClipModel(load_clip_config_json(options.clip_config), tower);
  } else {
    ClipLoadOptions clip_options;
    clip_options.towers = tower;
    if (!options.clip_config.empty()) clip_options.config = load_clip_config_json(options.clip_config);
    clip = load_clip_model(options.clip_weights, clip_options);
    for (auto& parameter : clip->parameters()) parameter.requires_grad_(false);
  }

  // The conditioning widths come from CLIP, as at inference (latent_generator.cpp).
  config.clip_feature_dim = clip->config().embed_dim;
  config.clip_grid_feature_dim = clip->config().grid_feature_dim();
  config.clip_grid_tokens = clip->config().grid_tokens();
  SplitVectorDiffusion model(config);
  const DiffusionConfig diffusion_config = load_diffusion_config(options.diffusion_config.string());
  const GaussianDiffusion diffusion(diffusion_config);
  const auto alphas_cumprod = torch::tensor(diffusion.alphas_cumprod(), torch::kFloat64).to(torch::kFloat32);

  // The run folder is checked before the (long) encoding of the training set.
  const auto checkpoint = open_run(options.run_dir, options.resume);
  // A resumed run already holds what it started from. Starting weights are bound before the
  // encoding too, so one that does not fit is named at once.
  if (!checkpoint && !options.initial_model.empty()) {
    const StateDict start = load_checkpoint(options.initial_model / names.transformer_weights);
    bind_weights(*model, deepen_transformer(start, *model));
    if (joint_tower) bind_initial_tower(clip, options.initial_model / names.clip_weights, image_model);
  } else if (!checkpoint && !options.initial_text_model.empty()) {
    bind_text_backbone(model, options.initial_text_model);
  }
  if (!checkpoint && !options.initial_tower_model.empty()) {
    bind_initial_tower(clip, options.initial_tower_model / names.clip_weights, image_model);
  }
  const CaptionedLatents data = encode_dataset(options, clip, image_model, on_progress);
  if (data.latents.size(1) != config.d_latent) {
    throw TrainingError(options.transformer_config.string() + ": d_latent is " + std::to_string(config.d_latent) +
                        " but the transmitter's latents have " + std::to_string(data.latents.size(1)) + " values");
  }

  std::optional<TextTeacher> teacher;
  torch::Tensor teacher_tokens;  // [caption texts, context]
  if (!options.teacher_text_model.empty()) {
    teacher.emplace(options.teacher_text_model, config.d_latent);
    const ClipTokenizer tokenizer;
    std::vector<ClipTokens> tokens;
    for (const auto& text : data.texts) tokens.push_back(tokenizer.tokenize(text));
    teacher_tokens = clip_token_batch(tokens);
  }

  // Caption matching (caption_matching.h): as a warm-up, and as a loss term whose projection then
  // trains and is checkpointed with the model; caption words (caption_words.h) likewise.
  const bool matching_loss = options.caption_matching_weight > 0.0;
  const bool word_loss = options.caption_word_weight > 0.0;
  CaptionMatcher matcher{nullptr};
  if (matching_loss || options.text_warmup_steps > 0) {
    auto setup = step_generator(options.seed, -1);
    matcher = CaptionMatcher(config.d_latent, clip->config().embed_dim, setup);
  }
  CaptionWordPredictor words{nullptr};
  if (word_loss) {
    if (data.words.words.empty()) throw TrainingError("caption words: the training captions all have the same words");
    words = CaptionWordPredictor(word_feature_dim(clip, data), static_cast<int64_t>(data.words.words.size()));
  }

  std::vector<torch::Tensor> parameters = model->parameters();
  if (joint_tower) {
    for (auto& parameter : clip->parameters()) parameters.push_back(parameter);
  }
  if (matching_loss) {
    for (auto& parameter : matcher->parameters()) parameters.push_back(parameter);
  }
  if (word_loss) {
    for (auto& parameter : words->parameters()) parameters.push_back(parameter);
  }
  torch::optim::Adam optimizer(parameters, torch::optim::AdamOptions(options.learning_rate));
  const std::string kModel = "model.", kClip = "clip.", kMatch = "caption_match.", kWords = "caption_words.";
  auto model_tensors = [&] {
    NamedTensors tensors = module_tensors(*model, kModel);
    if (joint_tower) {
      for (auto& entry : module_tensors(*clip, kClip)) tensors.push_back(std::move(entry));
    }
    if (matching_loss) {
      for (auto& entry : module_tensors(*matcher, kMatch)) tensors.push_back(std::move(entry));
    }
    if (word_loss) {
      for (auto& entry : module_tensors(*words, kWords)) tensors.push_back(std::move(entry));
    }
    return tensors;
  };
  // Binds one part of a checkpoint, skipping the others.
  auto bind_part = [&](torch::nn::Module& module, const StateDict& weights, const std::string& prefix) {
    std::vector<std::string> others;
    for (const auto& part : {kModel, kClip, kMatch, kWords}) {
      if (part != prefix) others.push_back(part);
    }
    bind_weights(module, weights, WeightBindingOptions{others, prefix});
  };

  int64_t start_step = 0;
  double previous_seconds = 0.0;
  if (checkpoint) {
    bind_part(*model, checkpoint->model, kModel);
    if (joint_tower) bind_part(*clip, checkpoint->model, kClip);
    if (matching_loss) bind_part(*matcher, checkpoint->model, kMatch);
    if (word_loss) bind_part(*words, checkpoint->model, kWords);
    load_optimizer_state(*checkpoint, optimizer);
    start_step = checkpoint->step;
    previous_seconds = checkpoint->seconds;
  }
  std::vector<std::string> columns{"loss", "lr"};
  if (matching_loss) columns.push_back("matching loss");
  if (word_loss) columns.push_back("word loss");
  if (teacher) columns.push_back("teacher loss");
  std::optional<LossLog> log;
  if (parallel.is_root()) log.emplace(options.run_dir / "loss.csv", columns, start_step);

  const bool predicts_x_start = diffusion_config.mean_type == "x_start";
  if (!checkpoint && options.text_warmup_steps > 0) {  // a resumed run has had its warm-up
    TowerWarmupOptions warmup;
    warmup.steps = options.text_warmup_steps;
    warmup.seed = options.seed;
    warmup.word_weight = options.caption_word_weight;
    warmup.colour_blind_weight = options.colour_blind_weight;
    warmup.jitter_pictures = options.jitter_pictures;
    const auto warmup_start = std::chrono::steady_clock::now();
    warm_up_condition_tower(clip, matcher, words, data, warmup, parallel.is_root() ? on_progress : nullptr, cancel);
    previous_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - warmup_start).count();
  }
  parallel.require_same(start_step, "the step to resume from (every rank must see the same run folder)");
  parallel.broadcast_parameters(parameters);

  const auto session_start = std::chrono::steady_clock::now();
  auto session_seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - session_start).count();
  };
  model->train();
  clip->train(joint_tower);
  double window = 0.0, matching_window = 0.0, word_window = 0.0, teacher_window = 0.0, last_loss = 0.0;
  int64_t window_steps = 0;
  // This rank's share of the global batch, drawn whole on every rank (cheap: indices and noise).
  const int64_t global_batch = options.batch_size * parallel.world_size();
  const int64_t first = options.batch_size * parallel.rank();
  const auto share = [&](const torch::Tensor& global) { return global.narrow(0, first, options.batch_size); };
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

    const auto all_rows = torch::randint(data.latents.size(0), {global_batch}, generator, torch::kLong);
    const auto all_phrasing_rows = data.draw_phrasings(all_rows, generator);
    const auto t = share(draw_training_timesteps(diffusion, global_batch, options.sampler_noise_levels, generator));
    const auto noise = share(torch::randn({global_batch, data.latents.size(1)}, generator, torch::kFloat32));
    const auto rows = share(all_rows), phrasing_rows = share(all_phrasing_rows);
    const auto x_start = data.latents.index_select(0, rows);
    const auto alpha_bar = alphas_cumprod.index_select(0, t).unsqueeze(1);
    const auto x_t = alpha_bar.sqrt() * x_start + (1.0 - alpha_bar).sqrt() * noise;
    // Classifier-free guidance: a cond_drop_prob share of the batch sees the zero embedding that
    // sampling uses for the unconditional half (drawn from the step's generator, so resumes are exact).
    const auto keep =
        share(torch::rand({global_batch, 1}, generator, torch::kFloat32) >= config.cond_drop_prob).to(torch::kFloat32);
    // Drawn last, so runs without jitter draw as before.
    const auto jitter = options.jitter_pictures ? share(draw_picture_jitter(global_batch, generator)) : torch::Tensor();

    clear_gradients(optimizer);
    // What the model is conditioned on, and what caption matching and caption words read.
    ConditionEmbeddings embedded;
    {
      torch::AutoGradMode tower_grad(joint_tower);
      embedded = embed_conditions(clip, data, phrasing_rows, jitter);
    }
    const auto condition = image_model ? embedded.condition * keep.unsqueeze(2) : embedded.condition * keep;
    const auto output = model->forward(x_t, t, condition);
    const auto prediction = output.narrow(1, 0, config.d_latent);
    const auto loss = (prediction - (predicts_x_start ? x_start : noise)).pow(2).mean();
    auto total = loss;
    if (matching_loss) {
      const auto matching = matcher->loss(embedded.embedding, x_start, data.caption_matches(phrasing_rows, rows));
      total = total + options.caption_matching_weight * matching;
      matching_window += matching.item<double>();
    }
    if (word_loss) {
      const auto word =
          caption_word_loss(clip, words, data, embedded, caption_words_of(data, phrasing_rows),
                            options.colour_blind_weight);
      total = total + options.caption_word_weight * word;
      word_window += word.item<double>();
    }
    if (teacher) {
      const auto tokens = teacher_tokens.index_select(0, data.phrasing_text.index_select(0, phrasing_rows));
      const auto taught = (prediction - teacher->predict(x_t, t, tokens, keep)).pow(2).mean();
      total = total + options.teacher_weight * taught;
      teacher_window += taught.item<double>();
    }
    total.backward();
    parallel.average_gradients(optimizer);
    optimizer.step();
    ++step;

    std::vector<double> losses{loss.item<double>()};
    if (parallel.distributed()) cancelled = parallel.average_losses_and_stop(losses, cancel != nullptr && cancel->load());
    last_loss = losses[0];
    window += last_loss;
    ++window_steps;
    if (log && (step % options.log_every == 0 || step == options.steps)) {
      const double seconds = previous_seconds + session_seconds();
      std::vector<double> row{window / window_steps, rate};
      if (matching_loss) row.push_back(matching_window / window_steps);
      if (word_loss) row.push_back(word_window / window_steps);
      if (teacher) row.push_back(teacher_window / window_steps);
      log->append(step, seconds, row);
      if (on_progress) {
        on_progress({step, options.steps, seconds,
                     eta_seconds(session_seconds(), step - start_step, options.steps - step), log->named(row), {}});
      }
      window = 0.0;
      matching_window = 0.0;
      word_window = 0.0;
      teacher_window = 0.0;
      window_steps = 0;
    }
    if (parallel.is_root() && (step % options.checkpoint_every == 0 || step == options.steps)) {
      save_training_checkpoint(options.run_dir, step, previous_seconds + session_seconds(), model_tensors(), optimizer);
    }
    if (cancelled) break;
  }

  // A stop between checkpoints keeps the steps done (the loss rows since the last one are not logged).
  if (cancelled && step % options.checkpoint_every != 0 && parallel.is_root()) {
    save_training_checkpoint(options.run_dir, step, previous_seconds + session_seconds(), model_tensors(), optimizer);
  }

  DiffusionTrainingResult result;
  result.steps = step;
  result.seconds = previous_seconds + session_seconds();
  result.final_loss = last_loss;
  result.gradient_averaging_seconds = parallel.seconds_per_gradient_average();
  if (!parallel.is_root()) return result;
  const fs::path& run = options.run_dir;
  copy_whole_file(options.transformer_config, run / names.transformer_config);
  copy_whole_file(options.diffusion_config, run / kDiffusionConfigFile);
  copy_whole_file(options.transmitter_config, run / kTransmitterConfigFile);
  copy_whole_file(options.transmitter_weights, run / kTransmitterWeightsFile);
  save_safetensors(run / names.transformer_weights, module_tensors(*model), {{"format", "pt"}, {"stage", "diffusion"}});
  const ConditioningMode mode = image_model ? ConditioningMode::kImage : ConditioningMode::kText;
  if (joint_tower) {
    copy_whole_file(options.clip_config, run / names.clip_config);
    save_safetensors(run / names.clip_weights, module_tensors(*clip),
                     {{"format", "pt"}, {"stage", image_model ? "vision tower" : "text tower"}});
    result.files = model_folder_files(run, mode);
  } else {
    result.files = model_folder_files(run, mode, options.clip_weights, options.clip_config);
  }
  return result;
}

}  // namespace shape::training
