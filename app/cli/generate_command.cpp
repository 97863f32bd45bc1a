// shape-cli generate / decode / download.
#include <cstdio>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>

#include "cli/arguments.h"
#include "cli/bulk_generate.h"
#include "cli/commands.h"
#include "cli/model_options.h"
#include "cli/output_options.h"
#include "cli/sampler_options.h"
#include "inference/clip/image_file.h"
#include "inference/decoder/camera.h"
#include "cli/interrupt.h"
#include "inference/diffusion/generation_cancelled.h"
#include "inference/export/mesh_export.h"
#include "inference/pipeline/latent_decoder.h"
#include "inference/pipeline/turntable.h"
#include "inference/pipeline/latent_generator.h"
#include "inference/weights/weights_catalog.h"

namespace shape::cli {
namespace {

ImageU8 render_strip(const LatentDecoder& decoder, const Latent& latent, const OutputOptions& options, uint64_t seed) {
  const auto cameras = create_pan_cameras(options.render_size);
  ImageU8 strip;
  strip.width = static_cast<int>(options.render_size * options.render_views);
  strip.height = static_cast<int>(options.render_size);
  strip.channels = 3;
  strip.pixels.resize(static_cast<size_t>(strip.width) * strip.height * 3);
  for (int64_t view = 0; view < options.render_views; ++view) {
    RenderSettings settings;
    settings.seed = seed + static_cast<uint64_t>(view);
    const auto image = decoder.render_nerf(latent, cameras[view * 20 / options.render_views], settings);
    for (int y = 0; y < image.height; ++y) {
      std::copy_n(&image.pixels[static_cast<size_t>(y) * image.width * 3], image.width * 3,
                  &strip.pixels[(static_cast<size_t>(y) * strip.width + view * options.render_size) * 3]);
    }
  }
  return strip;
}

void write_outputs(const LatentDecoder& decoder, const std::vector<Latent>& latents, const OutputOptions& options,
                   uint64_t seed) {
  const auto export_options = options.export_options();
  for (size_t i = 0; i < latents.size(); ++i) {
    if (interrupt_flag()) throw GenerationCancelled();
    const auto path = options.numbered(options.output, i, latents.size());
    std::fprintf(stderr, "meshing sample %zu at %lld^3...\n", i, static_cast<long long>(options.grid_size));
    const auto mesh = decoder.decode_mesh(latents[i], {options.grid_size, options.dense_grid});
    if (mesh.empty()) {
      std::fprintf(stderr, "warning: sample %zu has no surface (its SDF never crosses zero); no mesh written\n", i);
    } else {
      const auto summary = export_mesh(mesh, path, export_options);
      std::printf("%s\n", describe_export(path, summary).c_str());
    }
    if (!options.render.empty()) {
      const auto render_path = options.numbered(options.render, i, latents.size());
      write_png_file(render_strip(decoder, latents[i], options, seed), render_path);
      std::printf("wrote %s\n", render_path.c_str());
    }
    if (!options.turntable.empty()) {
      TurntableSettings turntable;
      turntable.frames = options.turntable_frames;
      turntable.size = options.turntable_size;
      turntable.seed = seed;
      const auto turntable_path = options.numbered(options.turntable, i, latents.size());
      try {
        const auto summary = write_turntable(
            decoder, latents[i], turntable, turntable_path,
            [](int64_t frame, int64_t frames) {
              std::fprintf(stderr, "turntable frame %lld/%lld\n", static_cast<long long>(frame + 1),
                           static_cast<long long>(frames));
            },
            &interrupt_flag());
        std::printf("%s\n", describe_turntable(turntable_path, summary).c_str());
      } catch (const RenderCancelled&) {
        throw GenerationCancelled();
      }
    }
  }
}

void print_step(const GenerationStep& step) {
  static const bool terminal = isatty(STDERR_FILENO);
  if (step.step == step.total_steps) {
    std::fprintf(stderr, "%ssampled %lld steps (%lld model evaluations) in %.1f s\n", terminal ? "\r\033[K" : "",
                 static_cast<long long>(step.total_steps), static_cast<long long>(step.total_evaluations),
                 step.elapsed_seconds);
    return;
  }
  std::fprintf(stderr, terminal ? "\r\033[Kstep %lld/%lld  sigma %.4g  elapsed %.0f s  eta %.0f s"
                                : "step %lld/%lld  sigma %.4g  elapsed %.0f s  eta %.0f s\n",
               static_cast<long long>(step.step + 1), static_cast<long long>(step.total_steps), step.sigma,
               step.elapsed_seconds, step.eta_seconds);
  std::fflush(stderr);
}

}  // namespace

const char* const kGenerateUsage = R"(usage: shape-cli generate (--prompt TEXT | --image FILE | --prompts-file FILE --out-dir DIR) [options]
  sampling options:
      --prompt TEXT            what to make (text300M)
      --image FILE             a reference image, PNG/JPEG/... (image300M)
      --seed N                 random seed (default 0; the same seed gives the official code's x_T)
      --guidance X             classifier-free guidance (default 15 for text, 3 for images,
                               or what a model folder's sampling.yaml recommends)
      --batch N                samples (default 1)
      --save-latent PATH       also save the latents (a PyTorch zip; torch.load(PATH)["latents"])
)";

int run_generate(const std::vector<std::string>& args) {
  ArgumentReader reader(args);
  ModelOptions models;
  OutputOptions outputs;
  SamplerOptions sampler;
  std::optional<std::string> prompt;
  std::filesystem::path image_path, latent_path;
  GenerationSettings settings;
  std::optional<double> guidance;
  int64_t batch = 1;
  BulkGenerationRequest bulk;
  std::vector<std::string> single_sample_options;  // given, and meaningless for bulk generation
  while (!reader.done()) {
    const auto option = reader.next();
    if (option == "--help" || option == "-h") {
      std::cout << kGenerateUsage << kBulkGenerationUsage << sampler_options_usage() << kOutputUsage << kModelOptionsUsage;
      return 0;
    }
    for (const char* single : {"--prompt", "--image", "--batch", "--save-latent", "-o", "--output", "--render", "--turntable"}) {
      if (option == single) single_sample_options.push_back(option);
    }
    if (models.parse(option, reader) || outputs.parse(option, reader) || sampler.parse(option, reader)) continue;
    if (option == "--prompts-file") {
      bulk.prompts_file = reader.value_of(option);
    } else if (option == "--out-dir") {
      bulk.out_dir = reader.value_of(option);
    } else if (option == "--prompt") {
      prompt = reader.value_of(option);
    } else if (option == "--image") {
      image_path = reader.value_of(option);
    } else if (option == "--seed") {
      settings.seed = parse_seed(option, reader.value_of(option));
    } else if (option == "--guidance") {
      guidance = parse_number(option, reader.value_of(option));
    } else if (option == "--batch") {
      batch = parse_count(option, reader.value_of(option));
    } else if (option == "--save-latent") {
      latent_path = reader.value_of(option);
    } else {
      throw UsageError{"unknown generate option '" + option + "' (see shape-cli generate --help)"};
    }
  }
  if (!bulk.prompts_file.empty() || !bulk.out_dir.empty()) {
    if (bulk.prompts_file.empty() || bulk.out_dir.empty()) throw UsageError{"--prompts-file and --out-dir go together"};
    if (!single_sample_options.empty()) {
      throw UsageError{single_sample_options.front() + " does not apply with --prompts-file (each line makes one mesh "
                       "in --out-dir)"};
    }
    bulk.default_seed = settings.seed;
    bulk.guidance = guidance;
    return run_bulk_generation(bulk, models, outputs, sampler);
  }
  if (prompt.has_value() == !image_path.empty()) throw UsageError{"give exactly one of --prompt and --image"};
  if (prompt && prompt->find_first_not_of(" \t\r\n") == std::string::npos) throw UsageError{"the prompt is empty"};
  const auto mode = prompt ? ConditioningMode::kText : ConditioningMode::kImage;
  // Everything that can be checked before minutes of sampling is checked first.
  const auto precision = models.resolved_precision();
  check_outputs(outputs);
  if (!latent_path.empty()) check_output_writable(latent_path);
  Condition condition;
  if (prompt) condition.prompt = *prompt;
  if (!image_path.empty()) condition.image = load_image_file(image_path);
  CancelOnInterrupt interrupt;
  const auto files = resolve_model_files(models, mode, false, &interrupt_flag());
  if (!files.notice.empty()) std::fprintf(stderr, "note: %s\n", files.notice.c_str());
  choose_guidance(settings, guidance, files.recommended_guidance, prompt ? 15.0 : 3.0);
  if (!guidance && files.recommended_guidance) {
    std::fprintf(stderr, "note: %s, as this model recommends (--guidance to change it)\n",
                 files.recommended_guidance->describe().c_str());
  }
  if (files.generator.average_picture_views) {
    std::fprintf(stderr, "note: conditioned on three views of the picture (it, its mirror image, its middle 90%%), "
                         "as this model recommends (--single-view for the picture alone)\n");
  }

  const auto choice = sampler.choice();
  settings.sampler = choice.sampler;
  settings.steps = choice.steps;
  std::fprintf(stderr, "sampler: %s\n", describe(choice).c_str());

  std::fprintf(stderr, "loading models on %s, precision %s...\n", models.device.c_str(),
               describe_precision(models.precision_request(), models.device).c_str());
  LatentGenerator generator(files.generator, models.device, precision);
  LatentDecoder decoder(files.decoder_config, files.decoder_weights, models.device, precision);
  if (generator.latent_size() != decoder.latent_size()) {
    throw std::runtime_error("the diffusion model makes latents of " + std::to_string(generator.latent_size()) +
                             " values but the decoder takes " + std::to_string(decoder.latent_size()));
  }

  const auto result = generator.generate(std::vector<Condition>(batch, condition), settings, print_step, &interrupt_flag());
  for (const auto& notice : result.notices) std::fprintf(stderr, "note: %s\n", notice.c_str());
  if (!latent_path.empty()) {
    save_latents(result.latents, latent_path);
    std::printf("wrote %s\n", latent_path.c_str());
  }
  write_outputs(decoder, result.latents, outputs, settings.seed);
  return 0;
}

const char* const kDecodeUsage = R"(usage: shape-cli decode --latent PATH [options]
  Meshes (and renders) latents saved by generate --save-latent.
      --latent PATH            the saved latents
      --seed N                 NeRF ray-sample seed for --render (default 0)
)";

int run_decode(const std::vector<std::string>& args) {
  ArgumentReader reader(args);
  ModelOptions models;
  OutputOptions outputs;
  std::filesystem::path latent_path;
  uint64_t seed = 0;
  while (!reader.done()) {
    const auto option = reader.next();
    if (option == "--help" || option == "-h") {
      std::cout << kDecodeUsage << kOutputUsage << kModelOptionsUsage;
      return 0;
    }
    if (models.parse(option, reader) || outputs.parse(option, reader)) continue;
    if (option == "--latent") {
      latent_path = reader.value_of(option);
    } else if (option == "--seed") {
      seed = parse_seed(option, reader.value_of(option));
    } else {
      throw UsageError{"unknown decode option '" + option + "' (see shape-cli decode --help)"};
    }
  }
  if (latent_path.empty()) throw UsageError{"decode needs --latent PATH"};
  check_outputs(outputs);
  const auto precision = models.resolved_precision();
  const auto latents = load_latents(latent_path);
  CancelOnInterrupt interrupt;
  const auto files = resolve_model_files(models, ConditioningMode::kText, /*decoder_only=*/true, &interrupt_flag());
  if (!files.notice.empty()) std::fprintf(stderr, "note: %s\n", files.notice.c_str());
  LatentDecoder decoder(files.decoder_config, files.decoder_weights, models.device, precision);
  write_outputs(decoder, latents, outputs, seed);
  return 0;
}

const char* const kDownloadUsage = R"(usage: shape-cli download [text|image|all] [--weights-dir DIR] [--cache-dir DIR]
  Downloads the official Shap-E and CLIP files (resuming interrupted downloads) and verifies them.
)";

int run_download(const std::vector<std::string>& args) {
  ArgumentReader reader(args);
  ModelOptions models;
  std::string which = "all";
  while (!reader.done()) {
    const auto option = reader.next();
    if (option == "--help" || option == "-h") {
      std::cout << kDownloadUsage;
      return 0;
    }
    if (option == "text" || option == "image" || option == "all") {
      which = option;
    } else if (option == "--weights-dir" || option == "--cache-dir") {
      models.parse(option, reader);
    } else {
      throw UsageError{"unknown download argument '" + option + "'"};
    }
  }
  models.download = true;
  CancelOnInterrupt interrupt;
  for (auto mode : {ConditioningMode::kText, ConditioningMode::kImage}) {
    if ((mode == ConditioningMode::kText && which == "image") || (mode == ConditioningMode::kImage && which == "text")) continue;
    resolve_model_files(models, mode, false, &interrupt_flag());
  }
  std::printf("all files present and verified in %s\n", models.store().locations().cache_directory.c_str());
  return 0;
}

}  // namespace shape::cli
