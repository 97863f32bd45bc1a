// --preset, --sampler and --steps: which sampler and how many steps, for every command that samples
// (generate, evaluate-primitives, evaluate-samplers) and for shape-studio.
#pragma once

#include <optional>
#include <string>

#include "cli/arguments.h"
#include "inference/diffusion/sampler_choice.h"

namespace shape::cli {

struct SamplerOptions {
  std::optional<SamplerPreset> preset;
  std::optional<SamplerKind> sampler;
  std::optional<int64_t> steps;

  // Consumes `option` (and its value) if it is one of these; false otherwise. Unknown names are a
  // UsageError that lists the choices.
  bool parse(const std::string& option, ArgumentReader& reader);
  // --sampler or --steps was given: the choice is no longer a preset's.
  bool custom() const { return sampler.has_value() || steps.has_value(); }
  // The preset (kDefaultSamplerPreset unless --preset), with --sampler and --steps replacing its parts.
  SamplerChoice choice() const;
};

// The usage lines for these options, with what each preset is.
std::string sampler_options_usage();

}  // namespace shape::cli
