// How far few-step samplers land from a many-step reference: each prompt and seed is sampled with
// the reference (Heun, 256 steps by default) and with every candidate from the same x_T, and the
// final latents are compared by relative L2 distance. `shape-cli evaluate-samplers` prints it;
// bench/samplers.md holds the results. Torch-free header.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "inference/pipeline/latent_generator.h"

namespace shape {

struct SamplerEvaluationOptions {
  std::vector<std::string> prompts;  // sampled together, as one batch per seed
  uint64_t first_seed = 0;
  int64_t seeds = 2;                 // first_seed, first_seed + 1, ...
  GenerationSettings settings;       // guidance and the rest; sampler and steps come from below
  SamplerChoice reference{SamplerKind::kHeun, 256};
  // Whether the reference uses the settings' guidance taming too (guidance_sigma_low and _high,
  // guidance_rescale, guidance_threshold). Without it the reference is the official guided sampler,
  // so the table shows how far the tamed candidates land from the official result.
  bool tame_reference = false;
  std::vector<SamplerChoice> candidates;
};

// One candidate against the reference.
struct SamplerDistance {
  SamplerChoice choice;
  // ||x - x_reference|| / ||x_reference|| per sample: seed-major, then prompt.
  std::vector<double> relative_l2;
  double seconds_per_sample = 0.0;
  double mean() const;
  double max() const;
};

struct SamplerEvaluation {
  std::vector<SamplerDistance> candidates;
  double reference_seconds_per_sample = 0.0;
  // A markdown table, one row per candidate: sampler, steps, model evaluations, mean and max
  // distance (%), seconds per sample.
  std::string table() const;
};

// Reports what it is sampling through `log` (may be empty). Throws std::invalid_argument for no
// prompts, no candidates or no seeds; GenerationCancelled when `cancel` is set.
SamplerEvaluation evaluate_samplers(LatentGenerator& generator, const SamplerEvaluationOptions& options,
                                    const std::function<void(const std::string&)>& log = nullptr,
                                    const std::atomic<bool>* cancel = nullptr);

}  // namespace shape
