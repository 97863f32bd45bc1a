// shape-cli evaluate-samplers: the distance of few-step samplers' latents from a many-step reference.
#include <cstdio>
#include <iostream>
#include <sstream>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/model_options.h"
#include "inference/pipeline/sampler_evaluation.h"

namespace shape::cli {
namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');) items.push_back(item);
  return items;
}

// "LOW:HIGH" -> the two noise levels.
std::pair<double, double> parse_interval(const std::string& option, const std::string& value) {
  const auto colon = value.find(':');
  if (colon == std::string::npos) throw UsageError{option + " takes LOW:HIGH noise levels, got '" + value + "'"};
  const double low = parse_number(option, value.substr(0, colon));
  const double high = parse_number(option, value.substr(colon + 1));
  if (low < 0.0 || high < low) throw UsageError{option + " needs 0 <= LOW <= HIGH, got '" + value + "'"};
  return {low, high};
}

}  // namespace

const char* const kEvaluateSamplersUsage = R"(usage: shape-cli evaluate-samplers --prompt TEXT... [options]
Samples each prompt and seed with a many-step Heun reference and with every sampler at every step
count from the same starting noise, and prints the relative L2 distance of the final latents from
the reference's (mean and max over prompts and seeds) against the number of model evaluations.
      --prompt TEXT            a prompt (repeatable; sampled together as one batch)
      --seed N                 the first seed (default 0)
      --seeds N                seeds per prompt (default 2)
      --guidance X             classifier-free guidance (default: the model's sampling.yaml, else 15)
      --samplers LIST          comma-separated (default: heun,dpm++2m,dpm++3m,euler)
      --steps LIST             comma-separated step counts for each sampler (default 8,16,32,64)
      --reference-steps N      Heun steps of the reference (default 256)
      --rho X                  Karras spacing of the noise levels (default 7; lower: more steps early)
  experimental ways to tame high guidance (default off; the candidates use them, the reference
  only with --tame-reference, else it is the official guided sampler):
      --guidance-interval LOW:HIGH   guidance only for noise levels in [LOW, HIGH]
      --guidance-rescale X     pull the guided prediction's spread X of the way to the conditional one's
      --guidance-threshold P   dynamic thresholding at the P-th percentile of |prediction|
      --tame-reference         the reference is tamed the same way
)";

int run_evaluate_samplers(const std::vector<std::string>& args) {
  ArgumentReader reader(args);
  ModelOptions models;
  SamplerEvaluationOptions options;
  std::optional<double> guidance;
  std::optional<std::pair<double, double>> interval;
  std::vector<SamplerKind> samplers = all_sampler_kinds();
  std::vector<int64_t> step_counts = {8, 16, 32, 64};
  while (!reader.done()) {
    const auto option = reader.next();
    if (option == "--help" || option == "-h") {
      std::cout << kEvaluateSamplersUsage << kModelOptionsUsage;
      return 0;
    }
    if (models.parse(option, reader)) continue;
    if (option == "--prompt") {
      options.prompts.push_back(reader.value_of(option));
    } else if (option == "--seed") {
      options.first_seed = parse_seed(option, reader.value_of(option));
    } else if (option == "--seeds") {
      options.seeds = parse_count(option, reader.value_of(option));
    } else if (option == "--guidance") {
      guidance = parse_number(option, reader.value_of(option));
    } else if (option == "--samplers") {
      samplers.clear();
      for (const auto& name : split_list(reader.value_of(option))) {
        try {
          samplers.push_back(parse_sampler_kind(name));
        } catch (const std::invalid_argument& error) {
          throw UsageError{option + ": " + error.what()};
        }
      }
    } else if (option == "--steps") {
      step_counts.clear();
      for (const auto& count : split_list(reader.value_of(option))) step_counts.push_back(parse_count(option, count));
    } else if (option == "--reference-steps") {
      options.reference.steps = parse_count(option, reader.value_of(option));
    } else if (option == "--rho") {
      options.settings.rho = parse_number(option, reader.value_of(option));
      if (!(options.settings.rho > 0.0)) throw UsageError{"--rho must be positive"};
    } else if (option == "--guidance-interval") {
      interval = parse_interval(option, reader.value_of(option));
    } else if (option == "--tame-reference") {
      options.tame_reference = true;
    } else if (option == "--guidance-rescale") {
      options.settings.guidance_rescale = parse_number(option, reader.value_of(option));
      if (options.settings.guidance_rescale < 0.0 || options.settings.guidance_rescale > 1.0) {
        throw UsageError{"--guidance-rescale must lie in 0..1"};
      }
    } else if (option == "--guidance-threshold") {
      options.settings.guidance_threshold = parse_number(option, reader.value_of(option));
      if (options.settings.guidance_threshold <= 0.0 || options.settings.guidance_threshold > 100.0) {
        throw UsageError{"--guidance-threshold is a percentile in (0, 100]"};
      }
    } else {
      throw UsageError{"unknown evaluate-samplers option '" + option + "' (see shape-cli evaluate-samplers --help)"};
    }
  }
  if (options.prompts.empty()) throw UsageError{"evaluate-samplers needs at least one --prompt"};
  if (samplers.empty() || step_counts.empty()) throw UsageError{"evaluate-samplers needs --samplers and --steps"};
  for (const auto sampler : samplers) {
    for (const auto steps : step_counts) options.candidates.push_back({sampler, steps});
  }

  CancelOnInterrupt interrupt;
  const auto files = resolve_model_files(models, ConditioningMode::kText, false, &interrupt_flag());
  if (!files.notice.empty()) std::fprintf(stderr, "note: %s\n", files.notice.c_str());
  choose_guidance(options.settings, guidance, files.recommended_guidance, 15.0);
  if (interval) {  // the user's interval replaces a recommended one; outside it, no guidance
    std::tie(options.settings.guidance_sigma_low, options.settings.guidance_sigma_high) = *interval;
    options.settings.guidance_scale_outside = 1.0;
  }
  LatentGenerator generator(files.generator, models.device, models.resolved_precision());
  const auto evaluation = evaluate_samplers(
      generator, options, [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); },
      &interrupt_flag());
  std::printf("guidance %g, %zu prompts x %lld seeds from %llu; reference %s%s: %.2f s / sample\n\n",
              options.settings.guidance_scale, options.prompts.size(), static_cast<long long>(options.seeds),
              static_cast<unsigned long long>(options.first_seed), describe(options.reference).c_str(),
              options.tame_reference ? ", tamed" : "", evaluation.reference_seconds_per_sample);
  std::cout << evaluation.table();
  return 0;
}

}  // namespace shape::cli
