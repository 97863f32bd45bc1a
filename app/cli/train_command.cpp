// shape-cli train-encoder / train-diffusion: the two training stages, with a progress line, the
// loss curve in <run>/loss.csv, checkpoints and exact resume (--resume); average-models and
// evaluate-primitives, which work on their results.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/sampler_options.h"
#include "inference/launch_environment.h"
#include "inference/pipeline/model_folder.h"
#include "inference/pipeline/official_models.h"
#include "inference/training/diffusion_trainer.h"
#include "inference/training/encoder_trainer.h"
#include "inference/training/model_averaging.h"
#include "inference/training/primitive_evaluation.h"
#include "inference/weights/progress_bar.h"

namespace shape::cli {
namespace {

constexpr const char* kTrainEncoderUsage = R"(usage: shape-cli train-encoder --out DIR [options]
Stage 1: trains the point-cloud encoder and the decoder it feeds (signed distance, colour and
density losses). Writes DIR/loss.csv, checkpoints under DIR/checkpoints and, at the end,
DIR/transmitter.yaml + DIR/transmitter.safetensors (loadable as a decoder: --decoder-config/-weights).
  --config PATH         transmitter YAML (default: resources/configs/demo/transmitter.yaml)
  --data DIR            meshes + captions.jsonl (default: the procedural primitives)
  --shapes N            procedural shapes (default 1024)
  --kind-weights LIST   how often each kind comes up in the procedural set, e.g. cube=3,pyramid=2
                        (kinds not named: 1; 0 leaves a kind out)
  --steps N             total steps (default 2000)
  --batch N             shapes per step (default 8)
  --lr X                peak learning rate (default 1e-3)
  --query-points N      SDF/colour queries per shape and step (default 1024)
  --init-from PATH      start from trained weights (fine-tuning) instead of a random init: a
                        transmitter.safetensors, or a train-encoder run folder
  --decoder-only        with --init-from: train only the params projection and decoder MLP; the
                        encoder, and so a stage-2 model trained on its latents, stays valid
  --focus-on-errors     half the near-surface queries are those the decoder gets most wrong (of a
                        4x larger draw): sharper edges and corners
  --seed N              (default 0)
  --log-every N         loss.csv row interval (default 10)
  --checkpoint-every N  (default 100)
  --resume              continue DIR's latest checkpoint (exactly, as if never stopped)
  --dist-timeout S      data-parallel: seconds the ranks wait for each other (default 60)
Ctrl-C stops after the current step and writes a checkpoint.
Data-parallel over several processes (hosts): launch one per rank with RANK, WORLD_SIZE,
MASTER_ADDR and MASTER_PORT set (as torchrun does); --batch is per rank, rank 0 writes DIR.
)";

constexpr const char* kTrainDiffusionUsage = R"(usage: shape-cli train-diffusion --encoder-run DIR --out DIR [options]
Stage 2: encodes the training shapes with a finished train-encoder run, then trains the latent
diffusion transformer on them, conditioned on the captions. Writes DIR/loss.csv, checkpoints and, at
the end, the files generate loads: DIR/text_cond.{yaml,safetensors}, DIR/diffusion.yaml and the
text tower DIR/clip_text.{json,safetensors} (DIR is then a model folder: generate --model-dir DIR).
  --image                  the image-conditioned model instead (image300M's class), trained on
                           pictures of the primitives through a CLIP vision tower; the defaults
                           below become resources/configs/demo/image_cond.yaml and clip_vision.json,
                           and DIR gets image_cond.* and clip_vision.* instead
  --image-cache DIR        where the pictures are rendered and kept (default: <out>/images); runs
                           with the same --shapes, --seed, --kind-weights and --views share one
  --views N                pictures of each shape, from random viewpoints (default 4)
  --init-from-text DIR     --image: start the diffusion transformer from a text model folder of the
                           same width (e.g. assets/demo-model), all but its condition embedding
  --tower-from DIR         --image: start the vision tower from an image model folder's (e.g.
                           assets/demo-model), while the transformer starts afresh or from
                           --init-from-text; not with --init-from, which brings its own tower
  --teacher DIR            --image: also learn what a text model folder of the same latents (e.g.
                           assets/demo-model) predicts for each picture's caption
  --teacher-weight X       that term's weight (default 1)
  --jitter-pictures        --image: flip, zoom (0.9-1.1x) and shift (up to 1/20 of the side) each
                           picture at random each time the tower sees it
  --config PATH            diffusion transformer YAML (default: resources/configs/demo/text_cond.yaml)
  --diffusion-config PATH  noise schedule (default: resources/configs/diffusion.yaml)
  --clip-config PATH       CLIP tower dimensions, JSON (default: resources/configs/demo/clip_text.json)
  --clip-weights PATH      frozen CLIP weights instead of a CLIP tower trained jointly
  --data DIR, --shapes N, --kind-weights LIST   the training shapes, as for train-encoder
  --steps N                (default 4000)
  --batch N                (default 32)
  --lr X                   (default 5e-4)
  --init-from DIR          start from a finished train-diffusion run's weights (fine-tuning); --image
                           with a --clip-config at k times its tower's resolution and patch size (the
                           same grid) widens the tower: each patch kernel spread over k x k pixels;
                           at k times its resolution with the same patch size, the grid k times finer:
                           the patch positions' embedding resampled (bicubic) to the finer grid.
                           With either, a --config of more layers than the starting model's deepens
                           it: the added layers start as the identity (their output projections 0)
  --text-warmup N          train the text tower to match captions (--image: the vision tower to match
                           pictures) to their shapes' latents for N steps before stage 2 (CLIP-style;
                           default 0)
  --caption-matching X     keep that matching as a term of the loss, with weight X (default 0)
  --caption-words X        also train the tower (in the warm-up and stage 2) to say which words its
                           caption has (--image: read from the mean of the patch grid stage 2 sees),
                           a loss term of weight X (default 0)
  --colour-blind-words X   --image, with --caption-words: the tower may be no surer of a picture's
                           kind and size than of its grey copy's, a term of weight X (default 0)
  --noise-levels KIND      uniform: timesteps drawn uniformly over the schedule (shap-e; default);
                           sampler: noise levels drawn as the 64-step Karras sampler visits them
                           (6x more training below sigma 1, where fine shape and colour settle)
  --seed N, --log-every N, --checkpoint-every N (default 200), --resume, --dist-timeout S
Data-parallel over several processes as train-encoder (--batch is per rank).
)";

constexpr const char* kAverageUsage = R"(usage: shape-cli average-models --out DIR MODEL_DIR MODEL_DIR...
Writes a model folder DIR whose diffusion transformer and CLIP tower weights (of the text model, the
image model or both, as the first folder holds) are the element-wise mean of the given model
folders' ("model soup"): fine-tuning legs of one model, e.g. runs made with
train-diffusion --init-from the same run. They must share their configs and stage-1 encoder; the
transmitter (decoder), model.txt and sampling.yaml are the first folder's.
)";

constexpr const char* kEvaluateUsage = R"(usage: shape-cli evaluate-primitives [options]
Generates captions of the procedural primitives with a model folder, meshes each result and judges
its shape class and colour with the geometric classifier; prints one line per sample and the accuracy.
  --model-dir DIR   a model folder (default: the built-in demo model, assets/demo-model)
  --image STYLE     judge the folder's image model instead: each sample generated from a picture of
                    a fresh primitive of the combination, from a random view; STYLE is training (the
                    training pictures' renderer and lighting) or photo-like (close perspective, a
                    floor, soft shadows, highlights: never seen in training)
  --encoder-run DIR judge stage 1 alone: primitives encoded and decoded by a train-encoder run
  --all             every caption (default: the held-out ones, never seen in training)
  --every N         with --all, only every N-th caption (a quicker look)
  --seeds N         samples per caption (default 2)
  --first-seed N    the samples' seeds start at N (default 0): other pictures and noise, a second
                    opinion on choices made while looking at seeds from 0
  --guidance X      classifier-free guidance scale (default: the model folder's sampling.yaml, else 3)
  --single-view     with --image: condition on each picture alone, though the folder's sampling.yaml
                    asks for the mean of three views of it
  --grid N          STF grid for the meshes (default 48)
  --precision auto|fp32|bf16   arithmetic (default auto, as generate)
  --save DIR        also write each sample's mesh (GLB) and a NeRF view (PNG) into DIR
)";

struct CommonTrainingOptions {
  std::filesystem::path run_dir, data;
  int64_t shapes = 1024;
  bool help = false;

  // Options both stages take; false if `option` is not one of them.
  template <typename Options>
  bool parse(const std::string& option, ArgumentReader& reader, Options& options) {
    if (option == "--out") {
      options.run_dir = reader.value_of(option);
    } else if (option == "--data") {
      options.data = reader.value_of(option);
    } else if (option == "--shapes") {
      options.procedural_shapes = parse_count(option, reader.value_of(option));
    } else if (option == "--kind-weights") {
      try {
        options.kind_weights = training::parse_primitive_kind_weights(reader.value_of(option));
      } catch (const std::invalid_argument& error) {
        throw UsageError{std::string("--kind-weights: ") + error.what()};
      }
    } else if (option == "--steps") {
      options.steps = parse_count(option, reader.value_of(option));
    } else if (option == "--batch") {
      options.batch_size = parse_count(option, reader.value_of(option));
    } else if (option == "--lr") {
      options.learning_rate = parse_number(option, reader.value_of(option));
      if (!(options.learning_rate > 0.0)) throw UsageError{"--lr must be positive"};
    } else if (option == "--seed") {
      options.seed = parse_seed(option, reader.value_of(option));
    } else if (option == "--log-every") {
      options.log_every = parse_count(option, reader.value_of(option));
    } else if (option == "--checkpoint-every") {
      options.checkpoint_every = parse_count(option, reader.value_of(option));
    } else if (option == "--resume") {
      options.resume = true;
    } else if (option == "--dist-timeout") {
      options.distributed.timeout = std::chrono::seconds(parse_count(option, reader.value_of(option)));
    } else if (option == "--help" || option == "-h") {
      help = true;
    } else {
      return false;
    }
    return true;
  }
};

std::filesystem::path demo_config(const std::string& name) { return shipped_config("demo/" + name); }

// "\rstep 120/2000  loss 0.1234 (sdf_loss 0.05 ...)  1:02 elapsed  ETA 9:15", redrawn in place.
void print_progress(const training::TrainingProgress& progress) {
  std::string line = progress.phase.empty() ? "" : progress.phase + ": ";
  line += "step " + std::to_string(progress.step) + "/" + std::to_string(progress.total_steps);
  for (const auto& [name, value] : progress.losses) {
    char number[32];
    std::snprintf(number, sizeof number, "%.4g", value);
    line += "  " + name + " " + number;
  }
  line += "  " + format_duration(progress.seconds) + " elapsed  ETA " + format_duration(progress.eta_seconds);
  std::fprintf(stderr, "\r%s   ", line.c_str());
  if (progress.step == progress.total_steps) std::fprintf(stderr, "\n");
}

void require_run_dir(const std::filesystem::path& run_dir) {
  if (run_dir.empty()) throw UsageError{"--out DIR is required: the run folder for checkpoints and loss.csv"};
}

// Joins the job the environment describes (launch_environment.h), saying so when there are several ranks.
void join_launch(training::DistributedOptions& distributed, int64_t batch_size) {
  distributed.launch = read_launch_environment();
  const auto& launch = distributed.launch;
  if (launch.world_size == 1) return;
  require_rendezvous(launch);
  std::fprintf(stderr, "[%s] data-parallel: %lld shapes per step (%lld per rank), meeting at %s:%d\n",
               describe_rank(launch).c_str(), static_cast<long long>(batch_size * launch.world_size),
               static_cast<long long>(batch_size), launch.master_addr.c_str(), launch.master_port);
}

// Data-parallel: what averaging the gradients cost this process per step.
void report_gradient_averaging(const training::DistributedOptions& distributed, double seconds_per_step) {
  if (distributed.launch.world_size == 1) return;
  std::fprintf(stderr, "[%s] averaging gradients: %.2f ms per step\n", describe_rank(distributed.launch).c_str(),
               1000.0 * seconds_per_step);
}

int report_end(int64_t steps, int64_t total_steps, double seconds, const std::filesystem::path& run_dir) {
  if (steps == 0 && total_steps > 0) {  // e.g. during a warm-up: no checkpoint exists yet
    std::fprintf(stderr, "\nstopped before the first step; nothing was kept. Run the same command again to start "
                         "over.\n");
    return 130;
  }
  if (steps < total_steps) {
    std::fprintf(stderr, "\nstopped at step %lld of %lld; a checkpoint was written. Continue with the same command "
                         "and --resume.\n", static_cast<long long>(steps), static_cast<long long>(total_steps));
    return 130;
  }
  std::cout << "trained " << steps << " steps in " << format_duration(seconds) << "; outputs in " << run_dir.string()
            << "\n";
  return 0;
}

}  // namespace

int run_train_encoder(const std::vector<std::string>& args) {
  training::EncoderTrainingOptions options;
  options.transmitter_config = demo_config("transmitter.yaml");
  CommonTrainingOptions common;
  ArgumentReader reader(args);
  while (!reader.done()) {
    const auto option = reader.next();
    if (common.parse(option, reader, options)) continue;
    if (option == "--config") {
      options.transmitter_config = reader.value_of(option);
    } else if (option == "--init-from") {
      options.initial_weights = reader.value_of(option);
    } else if (option == "--focus-on-errors") {
      options.focus_on_errors = true;
    } else if (option == "--decoder-only") {
      options.decoder_only = true;
    } else if (option == "--query-points") {
      options.query_points = parse_count(option, reader.value_of(option));
    } else {
      throw UsageError{"train-encoder: unknown option '" + option + "'"};
    }
  }
  if (common.help) {
    std::cout << kTrainEncoderUsage;
    return 0;
  }
  require_run_dir(options.run_dir);
  join_launch(options.distributed, options.batch_size);
  CancelOnInterrupt interrupt;
  const auto result = training::train_encoder(options, print_progress, &interrupt_flag());
  report_gradient_averaging(options.distributed, result.gradient_averaging_seconds);
  return report_end(result.steps, options.steps, result.seconds, options.run_dir);
}

int run_train_diffusion(const std::vector<std::string>& args) {
  training::DiffusionTrainingOptions options;
  options.diffusion_config = shipped_config("diffusion.yaml");
  std::filesystem::path encoder_run;
  bool image = false;
  CommonTrainingOptions common;
  ArgumentReader reader(args);
  while (!reader.done()) {
    const auto option = reader.next();
    if (common.parse(option, reader, options)) continue;
    if (option == "--config") {
      options.transformer_config = reader.value_of(option);
    } else if (option == "--diffusion-config") {
      options.diffusion_config = reader.value_of(option);
    } else if (option == "--init-from") {
      options.initial_model = reader.value_of(option);
    } else if (option == "--text-warmup") {
      options.text_warmup_steps = parse_count(option, reader.value_of(option));
    } else if (option == "--caption-matching") {
      options.caption_matching_weight = parse_number(option, reader.value_of(option));
    } else if (option == "--caption-words") {
      options.caption_word_weight = parse_number(option, reader.value_of(option));
    } else if (option == "--noise-levels") {
      const auto kind = reader.value_of(option);
      if (kind != "uniform" && kind != "sampler") {
        throw UsageError{"--noise-levels: expected 'uniform' or 'sampler', got '" + kind + "'"};
      }
      options.sampler_noise_levels = kind == "sampler";
    } else if (option == "--clip-config") {
      options.clip_config = reader.value_of(option);
    } else if (option == "--clip-weights") {
      options.clip_weights = reader.value_of(option);
    } else if (option == "--encoder-run") {
      encoder_run = reader.value_of(option);
    } else if (option == "--image") {
      image = true;
    } else if (option == "--image-cache") {
      options.image_cache = reader.value_of(option);
    } else if (option == "--init-from-text") {
      options.initial_text_model = reader.value_of(option);
    } else if (option == "--tower-from") {
      options.initial_tower_model = reader.value_of(option);
    } else if (option == "--teacher") {
      options.teacher_text_model = reader.value_of(option);
    } else if (option == "--teacher-weight") {
      options.teacher_weight = parse_number(option, reader.value_of(option));
    } else if (option == "--colour-blind-words") {
      options.colour_blind_weight = parse_number(option, reader.value_of(option));
    } else if (option == "--jitter-pictures") {
      options.jitter_pictures = true;
    } else if (option == "--views") {
      options.views_per_shape = parse_count(option, reader.value_of(option));
    } else {
      throw UsageError{"train-diffusion: unknown option '" + option + "'"};
    }
  }
  if (common.help) {
    std::cout << kTrainDiffusionUsage;
    return 0;
  }
  if (options.transformer_config.empty()) {
    options.transformer_config = demo_config(image ? "image_cond.yaml" : "text_cond.yaml");
  }
  if (options.clip_config.empty() && options.clip_weights.empty()) {
    options.clip_config = demo_config(image ? "clip_vision.json" : "clip_text.json");
  }
  require_run_dir(options.run_dir);
  if (encoder_run.empty()) throw UsageError{"--encoder-run DIR is required: a finished train-encoder run folder"};
  options.transmitter_config = encoder_run / "transmitter.yaml";
  options.transmitter_weights = encoder_run / "transmitter.safetensors";
  for (const auto& path : {options.transmitter_config, options.transmitter_weights}) {
    if (!std::filesystem::exists(path)) {
      throw UsageError{path.string() + " is missing: --encoder-run must be a finished train-encoder run folder"};
    }
  }
  join_launch(options.distributed, options.batch_size);
  CancelOnInterrupt interrupt;
  const auto result = training::train_diffusion(options, print_progress, &interrupt_flag());
  report_gradient_averaging(options.distributed, result.gradient_averaging_seconds);
  return report_end(result.steps, options.steps, result.seconds, options.run_dir);
}

int run_average_models(const std::vector<std::string>& args) {
  std::filesystem::path out;
  std::vector<std::filesystem::path> inputs;
  ArgumentReader reader(args);
  while (!reader.done()) {
    const auto option = reader.next();
    if (option == "--out") {
      out = reader.value_of(option);
    } else if (option == "--help" || option == "-h") {
      std::cout << kAverageUsage;
      return 0;
    } else if (option.rfind("--", 0) == 0) {
      throw UsageError{"average-models: unknown option '" + option + "'"};
    } else {
      inputs.push_back(option);
    }
  }
  if (out.empty()) throw UsageError{"average-models: --out DIR is required: the model folder to write"};
  if (inputs.size() < 2) throw UsageError{"average-models: give at least two model folders to average"};
  training::average_model_folders(inputs, out);
  std::cout << "averaged " << inputs.size() << " models into " << out.string() << "\n";
  return 0;
}

int run_evaluate_primitives(const std::vector<std::string>& args) {
  std::filesystem::path model_dir = demo_model_folder();
  std::filesystem::path encoder_run;
  bool image = false;
  bool all = false;
  bool single_view = false;
  int64_t every = 1;
  training::PrimitiveEvaluationOptions options;
  std::optional<double> guidance;
  PrecisionRequest precision = PrecisionRequest::kAuto;
  SamplerOptions sampler;
  ArgumentReader reader(args);
  while (!reader.done()) {
    const auto option = reader.next();
    if (sampler.parse(option, reader)) continue;
    if (option == "--model-dir") {
      model_dir = reader.value_of(option);
    } else if (option == "--precision") {
      precision = parse_precision_option(option, reader.value_of(option));
    } else if (option == "--encoder-run") {
      encoder_run = reader.value_of(option);
    } else if (option == "--image") {
      const auto style = reader.value_of(option);
      if (style != "training" && style != "photo-like") {
        throw UsageError{"--image: expected 'training' or 'photo-like', got '" + style + "'"};
      }
      image = true;
      options.image_style =
          style == "training" ? training::PrimitiveImageStyle::kTraining : training::PrimitiveImageStyle::kPhotoLike;
    } else if (option == "--all") {
      all = true;
    } else if (option == "--every") {
      every = parse_count(option, reader.value_of(option));
    } else if (option == "--seeds") {
      options.seeds_per_caption = parse_count(option, reader.value_of(option));
    } else if (option == "--first-seed") {
      options.generation.seed = parse_seed(option, reader.value_of(option));
    } else if (option == "--guidance") {
      guidance = parse_number(option, reader.value_of(option));
    } else if (option == "--grid") {
      options.grid_size = parse_count(option, reader.value_of(option));
    } else if (option == "--save") {
      options.save_dir = reader.value_of(option);
    } else if (option == "--single-view") {
      single_view = true;
    } else if (option == "--help" || option == "-h") {
      std::cout << kEvaluateUsage << sampler_options_usage();
      return 0;
    } else {
      throw UsageError{"evaluate-primitives: unknown option '" + option + "'"};
    }
  }
  try {
    options.precision = resolve_precision(precision, "cpu");
  } catch (const std::invalid_argument& error) {
    throw UsageError{std::string("evaluate-primitives: ") + error.what()};
  }
  std::cerr << "precision " << describe_precision(precision, "cpu") << "\n";
  std::vector<training::PrimitiveCombination> combinations;
  const auto candidates = all ? training::all_primitive_combinations() : training::held_out_primitive_combinations();
  for (size_t i = 0; i < candidates.size(); i += static_cast<size_t>(every)) combinations.push_back(candidates[i]);
  if (image && !encoder_run.empty()) {
    throw UsageError{"evaluate-primitives: --image judges a model folder, not --encoder-run"};
  }
  if (single_view && !image) throw UsageError{"evaluate-primitives: --single-view goes with --image"};
  ModelFileSet files =
      encoder_run.empty() ? model_folder_files(model_dir, image ? ConditioningMode::kImage : ConditioningMode::kText)
                          : ModelFileSet{};
  if (single_view) files.generator.average_picture_views = false;
  if (files.generator.average_picture_views) std::fprintf(stderr, "conditioned on three views of each picture\n");
  choose_guidance(options.generation, guidance, files.recommended_guidance, 3.0);
  const auto choice = sampler.choice();
  options.generation.sampler = choice.sampler;
  options.generation.steps = choice.steps;
  if (encoder_run.empty()) std::fprintf(stderr, "sampler: %s\n", describe(choice).c_str());
  const auto evaluation =
      encoder_run.empty()
          ? training::evaluate_primitive_generation(files, combinations, options)
          : training::evaluate_primitive_reconstruction(encoder_run / kTransmitterConfigFile,
                                                        encoder_run / kTransmitterWeightsFile, combinations, options);
  std::cout << evaluation.table();
  return 0;
}

}  // namespace shape::cli
