#include "inference/training/primitive_evaluation.h"

#include <cstdio>

#include "inference/pipeline/latent_decoder.h"

namespace shape::training {
namespace {

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

PrimitiveEvaluation evaluate_primitive_generation(const ModelFileSet& files,
                                                  const std::vector<PrimitiveCombination>& combinations,
                                                  const PrimitiveEvaluationOptions& options) {
  LatentGenerator generator(files.generator);
  const LatentDecoder decoder(files.decoder_config, files.decoder_weights);
  PrimitiveEvaluation evaluation;
  for (const auto& combination : combinations) {
    for (int64_t s = 0; s < options.seeds_per_caption; ++s) {
      GenerationSettings settings = options.generation;
      settings.seed = options.generation.seed + static_cast<uint64_t>(s);
      const auto result = generator.generate({{combination.caption(), std::nullopt}}, settings);
      const Mesh mesh = decoder.decode_mesh(result.latents.at(0), {options.grid_size});
      PrimitiveJudgement judgement;
      judgement.caption = combination.caption();
      judgement.seed = settings.seed;
      judgement.expected_kind = combination.kind;
      judgement.expected_colour = combination.colour;
      judgement.empty_mesh = mesh.empty();
      if (!mesh.empty()) {
        const auto classification = classify_primitive(mesh);
        judgement.predicted_kind = classification.kind;
        judgement.predicted_colour = classification.colour;
      }
      evaluation.judgements.push_back(judgement);
    }
  }
  return evaluation;
}

}  // namespace shape::training
