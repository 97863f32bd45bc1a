#include "cli/sampler_options.h"

#include <stdexcept>

namespace shape::cli {

bool SamplerOptions::parse(const std::string& option, ArgumentReader& reader) {
  try {
    if (option == "--preset") {
      preset = parse_sampler_preset(reader.value_of(option));
    } else if (option == "--sampler") {
      sampler = parse_sampler_kind(reader.value_of(option));
    } else if (option == "--steps") {
      steps = parse_count(option, reader.value_of(option));
    } else {
      return false;
    }
  } catch (const std::invalid_argument& error) {
    throw UsageError{option + ": " + error.what()};
  }
  return true;
}

SamplerChoice SamplerOptions::choice() const {
  auto result = preset_choice(preset.value_or(kDefaultSamplerPreset));
  if (sampler) result.sampler = *sampler;
  if (steps) result.steps = *steps;
  return result;
}

std::string sampler_options_usage() {
  std::string text;
  for (const auto preset : all_sampler_presets()) {
    text += text.empty() ? "      --preset NAME            " : "                               ";
    text += preset_name(preset) + (preset == kDefaultSamplerPreset ? " (default): " : ": ") +
            describe(preset_choice(preset)) + "\n";
  }
  text += "      --sampler NAME           " + sampler_choices() + " (replaces the preset's)\n";
  text += "      --steps N                sampler steps (replaces the preset's)\n";
  return text;
}

}  // namespace shape::cli
