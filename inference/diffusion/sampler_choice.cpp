#include "inference/diffusion/sampler_choice.h"

#include <stdexcept>

namespace shape {
namespace {

// "a, b or c"
template <typename T, typename Name>
std::string list_of(const std::vector<T>& values, Name name) {
  std::string text;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) text += i + 1 == values.size() ? " or " : ", ";
    text += name(values[i]);
  }
  return text;
}

template <typename T, typename Name>
T parse_named(const std::string& text, const std::vector<T>& values, Name name, const std::string& what) {
  for (const auto value : values) {
    if (name(value) == text) return value;
  }
  throw std::invalid_argument("unknown " + what + " '" + text + "' (choose " + list_of(values, name) + ")");
}

}  // namespace

const std::vector<SamplerKind>& all_sampler_kinds() {
  static const std::vector<SamplerKind> kinds = {SamplerKind::kHeun, SamplerKind::kDpmpp2m, SamplerKind::kDpmpp3m,
                                                 SamplerKind::kEuler};
  return kinds;
}

std::string sampler_name(SamplerKind kind) {
  switch (kind) {
    case SamplerKind::kHeun: return "heun";
    case SamplerKind::kDpmpp2m: return "dpm++2m";
    case SamplerKind::kDpmpp3m: return "dpm++3m";
    case SamplerKind::kEuler: return "euler";
  }
  throw std::invalid_argument("unknown sampler kind");
}

std::string sampler_choices() { return list_of(all_sampler_kinds(), sampler_name); }

SamplerKind parse_sampler_kind(const std::string& name) {
  return parse_named(name, all_sampler_kinds(), sampler_name, "sampler");
}

int64_t model_evaluations(SamplerKind kind, int64_t steps) {
  // Heun's last step goes to sigma 0 with a single Euler evaluation.
  return kind == SamplerKind::kHeun ? 2 * steps - 1 : steps;
}

const std::vector<SamplerPreset>& all_sampler_presets() {
  static const std::vector<SamplerPreset> presets = {SamplerPreset::kOfficial, SamplerPreset::kFast};
  return presets;
}

std::string preset_name(SamplerPreset preset) {
  return preset == SamplerPreset::kOfficial ? "official" : "fast";
}

std::string preset_choices() { return list_of(all_sampler_presets(), preset_name); }

SamplerPreset parse_sampler_preset(const std::string& name) {
  return parse_named(name, all_sampler_presets(), preset_name, "sampler preset");
}

SamplerChoice preset_choice(SamplerPreset preset) {
  if (preset == SamplerPreset::kOfficial) return {SamplerKind::kHeun, 64};
  return {SamplerKind::kDpmpp2m, 16};
}

std::string describe(const SamplerChoice& choice) {
  return sampler_name(choice.sampler) + ", " + std::to_string(choice.steps) + " steps (" +
         std::to_string(model_evaluations(choice.sampler, choice.steps)) + " model evaluations)";
}

}  // namespace shape
