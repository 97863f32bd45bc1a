#include "inference/training/primitive_evaluation.h"

#include <cstdio>

#include "inference/checkpoint/checkpoint.h"
#include "inference/clip/image_file.h"
#include "inference/decoder/camera.h"
#include "inference/export/mesh_export.h"
#include "inference/pipeline/latent_decoder.h"
#include "inference/training/dataset_sampling.h"
#include "inference/training/encoder_trainer.h"

namespace shape::training {
namespace {

constexpr uint64_t kEvaluationStream = 0x6576616c75617465;  // "evaluate"

template <typename Predicate>
double fraction(const std::vector<PrimitiveJudgement>& judgements, Predicate predicate) {
  if (judgements.empty()) return 0.0;
  size_t count = 0;
  for (const auto& judgement : judgements) count += predicate(judgement) ? 1 : 0;
  return static_cast<double>(count) / static_cast<double>(judgements.size());
}

}  // namespace

double PrimitiveEvaluation::accuracy() const {
  return fraction(judgements, [](const auto& j) { return j.correct(); });
}
double PrimitiveEvaluation::kind_accuracy() const {
  return fraction(judgements, [](const auto& j) { return j.kind_correct(); });
}
double PrimitiveEvaluation::colour_accuracy() const {
  return fraction(judgements, [](const auto& j) { return j.colour_correct(); });
}

std::string PrimitiveEvaluation::table() const {
  const auto& colours = primitive_colours();
  std::string text;
  char line[256];
  for (const auto& j : judgements) {
    std::snprintf(line, sizeof line, "%-28s seed %-4llu -> %s%s %s%s\n", j.caption.c_str(),
                  static_cast<unsigned long long>(j.seed),
                  j.empty_mesh ? "(no surface)" : colours[j.predicted_colour].name.c_str(), j.colour_correct() ? "" : "(x)",
                  j.empty_mesh ? "" : primitive_name(j.predicted_kind).c_str(), j.kind_correct() ? "" : "(x)");
    text += line;
  }
  std::snprintf(line, sizeof line, "accuracy %.1f%% (shape %.1f%%, colour %.1f%%) over %zu samples\n",
                100.0 * accuracy(), 100.0 * kind_accuracy(), 100.0 * colour_accuracy(), judgements.size());
  return text + line;
}

namespace {

PrimitiveJudgement judge(const PrimitiveCombination& combination, uint64_t seed, const Mesh& mesh) {
  PrimitiveJudgement judgement;
  judgement.caption = combination.caption();
  judgement.seed = seed;
  judgement.expected_kind = combination.kind;
  judgement.expected_colour = combination.colour;
  judgement.empty_mesh = mesh.empty();
  if (!mesh.empty()) {
    const auto classification = classify_primitive(mesh);
    judgement.predicted_kind = classification.kind;
    judgement.predicted_colour = classification.colour;
  }
  return judgement;
}

// "a small red cube", seed 1 -> <dir>/a_small_red_cube-1.glb and .png (and -input.png)
void save_sample(const PrimitiveEvaluationOptions& options, const PrimitiveJudgement& judgement, const Mesh& mesh,
                 const LatentDecoder& decoder, const Latent& latent, const std::optional<ImageU8>& picture) {
  if (options.save_dir.empty()) return;
  std::filesystem::create_directories(options.save_dir);
  std::string name = judgement.caption;
  for (char& c : name) c = c == ' ' ? '_' : c;
  const auto stem = options.save_dir / (name + "-" + std::to_string(judgement.seed));
  if (picture) write_png_file(*picture, stem.string() + "-input.png");
  if (!mesh.empty()) export_mesh(mesh, stem.string() + ".glb", MeshExportOptions{});
  const Camera camera =
      look_at_camera({2.2f, -2.2f, 1.6f}, {0.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 1.0f}, 0.6f, 128, 128);
  write_png_file(decoder.render_nerf(latent, camera), stem.string() + ".png");
}

}  // namespace

ImageU8 evaluation_picture(const PrimitiveCombination& combination, uint64_t seed, PrimitiveImageStyle style) {
  // Training draws proportions and views from streams of its run seed (0, 1, ...); these come from
  // a fixed stream of their own, so a sample is a primitive and a view that training never drew.
  const uint64_t combination_index = (static_cast<uint64_t>(combination.kind) * 2 +
                                      static_cast<uint64_t>(combination.size)) * 100 +
                                     static_cast<uint64_t>(combination.colour);
  const uint64_t stream = mix_seed(mix_seed(kEvaluationStream, combination_index), seed);
  const auto spec = make_primitive(combination.kind, combination.size, combination.colour, mix_seed(stream, 0));
  return render_primitive_image(spec, random_primitive_view(style, mix_seed(stream, 1)));
}

PrimitiveEvaluation evaluate_primitive_generation(const ModelFileSet& files,
                                                  const std::vector<PrimitiveCombination>& combinations,
                                                  const PrimitiveEvaluationOptions& options) {
  LatentGenerator generator(files.generator, "cpu", options.precision);
  const LatentDecoder decoder(files.decoder_config, files.decoder_weights);
  const bool from_pictures = generator.mode() == ConditioningMode::kImage;
  PrimitiveEvaluation evaluation;
  for (const auto& combination : combinations) {
    for (int64_t s = 0; s < options.seeds_per_caption; ++s) {
      GenerationSettings settings = options.generation;
      settings.seed = options.generation.seed + static_cast<uint64_t>(s);
      Condition condition;
      if (from_pictures) {
        condition.image = evaluation_picture(combination, settings.seed, options.image_style);
      } else {
        condition.prompt = combination.caption();
      }
      const auto result = generator.generate({condition}, settings);
      const Mesh mesh = decoder.decode_mesh(result.latents.at(0), {options.grid_size});
      evaluation.judgements.push_back(judge(combination, settings.seed, mesh));
      save_sample(options, evaluation.judgements.back(), mesh, decoder, result.latents.at(0), condition.image);
    }
  }
  return evaluation;
}

PrimitiveEvaluation evaluate_primitive_reconstruction(const std::filesystem::path& transmitter_config,
                                                      const std::filesystem::path& transmitter_weights,
                                                      const std::vector<PrimitiveCombination>& combinations,
                                                      const PrimitiveEvaluationOptions& options) {
  Transmitter transmitter(transmitter_config);
  transmitter.load(load_checkpoint(transmitter_weights));
  transmitter.encoder->eval();
  const LatentDecoder decoder(transmitter_config, transmitter_weights);
  const int64_t points = transmitter.encoder->config().data_ctx;
  PrimitiveEvaluation evaluation;
  torch::NoGradGuard no_grad;
  for (const auto& combination : combinations) {
    for (int64_t s = 0; s < options.seeds_per_caption; ++s) {
      const uint64_t seed = options.generation.seed + static_cast<uint64_t>(s);
      const auto spec = make_primitive(combination.kind, combination.size, combination.colour, seed);
      const auto latent = transmitter.encoder->forward(sample_primitive_surface(spec, points, seed).unsqueeze(0));
      const auto flat = latent.flatten().contiguous();
      Latent values;
      values.values.assign(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
      const Mesh mesh = decoder.decode_mesh(values, {options.grid_size});
      evaluation.judgements.push_back(judge(combination, seed, mesh));
      save_sample(options, evaluation.judgements.back(), mesh, decoder, values, std::nullopt);
    }
  }
  return evaluation;
}

}  // namespace shape::training
