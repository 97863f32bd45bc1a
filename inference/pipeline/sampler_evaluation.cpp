#include "inference/pipeline/sampler_evaluation.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <stdexcept>

namespace shape {
namespace {

double relative_l2(const Latent& x, const Latent& reference) {
  if (x.values.size() != reference.values.size()) throw std::logic_error("latents of different sizes compared");
  double difference = 0.0, norm = 0.0;
  for (size_t i = 0; i < x.values.size(); ++i) {
    const double d = static_cast<double>(x.values[i]) - reference.values[i];
    difference += d * d;
    norm += static_cast<double>(reference.values[i]) * reference.values[i];
  }
  return std::sqrt(difference / norm);
}

}  // namespace

double SamplerDistance::mean() const {
  if (relative_l2.empty()) return 0.0;
  return std::accumulate(relative_l2.begin(), relative_l2.end(), 0.0) / static_cast<double>(relative_l2.size());
}

double SamplerDistance::max() const {
  return relative_l2.empty() ? 0.0 : *std::max_element(relative_l2.begin(), relative_l2.end());
}

std::string SamplerEvaluation::table() const {
  std::string text = "| sampler | steps | model evaluations | mean distance | max distance | s / sample |\n"
                     "|---|---|---|---|---|---|\n";
  char line[256];
  for (const auto& row : candidates) {
    std::snprintf(line, sizeof line, "| %s | %lld | %lld | %.3g %% | %.3g %% | %.2f |\n",
                  sampler_name(row.choice.sampler).c_str(), static_cast<long long>(row.choice.steps),
                  static_cast<long long>(model_evaluations(row.choice.sampler, row.choice.steps)), 100.0 * row.mean(),
                  100.0 * row.max(), row.seconds_per_sample);
    text += line;
  }
  return text;
}

SamplerEvaluation evaluate_samplers(LatentGenerator& generator, const SamplerEvaluationOptions& options,
                                    const std::function<void(const std::string&)>& log,
                                    const std::atomic<bool>* cancel) {
  if (options.prompts.empty()) throw std::invalid_argument("evaluate_samplers: no prompts to sample");
  if (options.candidates.empty()) throw std::invalid_argument("evaluate_samplers: no candidate samplers");
  if (options.seeds < 1) throw std::invalid_argument("evaluate_samplers: needs at least one seed");
  std::vector<Condition> conditions;
  for (const auto& prompt : options.prompts) conditions.push_back({prompt, std::nullopt});
  const double samples = static_cast<double>(options.prompts.size());

  auto reference_settings = options.settings;
  if (!options.tame_reference) {
    const GenerationSettings official;
    reference_settings.guidance_sigma_low = official.guidance_sigma_low;
    reference_settings.guidance_sigma_high = official.guidance_sigma_high;
    reference_settings.guidance_scale_outside = official.guidance_scale_outside;
    reference_settings.guidance_rescale = official.guidance_rescale;
    reference_settings.guidance_threshold = official.guidance_threshold;
  }

  // Samples the whole batch with `choice`; the wall time per sample is added to `seconds`.
  auto run = [&](const GenerationSettings& base, const SamplerChoice& choice, uint64_t seed, double& seconds) {
    if (log) log("seed " + std::to_string(seed) + ": " + describe(choice));
    auto settings = base;
    settings.seed = seed;
    settings.sampler = choice.sampler;
    settings.steps = choice.steps;
    const auto start = std::chrono::steady_clock::now();
    auto latents = generator.generate(conditions, settings, nullptr, cancel).latents;
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / samples;
    return latents;
  };

  SamplerEvaluation evaluation;
  for (const auto& choice : options.candidates) evaluation.candidates.push_back({choice, {}, 0.0});
  for (int64_t s = 0; s < options.seeds; ++s) {
    const uint64_t seed = options.first_seed + static_cast<uint64_t>(s);
    const auto reference =
        run(reference_settings, options.reference, seed, evaluation.reference_seconds_per_sample);
    for (auto& row : evaluation.candidates) {
      const auto latents = run(options.settings, row.choice, seed, row.seconds_per_sample);
      for (size_t i = 0; i < latents.size(); ++i) row.relative_l2.push_back(relative_l2(latents[i], reference[i]));
    }
  }
  const double seeds = static_cast<double>(options.seeds);
  evaluation.reference_seconds_per_sample /= seeds;
  for (auto& row : evaluation.candidates) row.seconds_per_sample /= seeds;
  return evaluation;
}

}  // namespace shape
