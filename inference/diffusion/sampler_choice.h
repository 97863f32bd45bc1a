// Which sampler and how many steps: the methods by name, what each costs in model evaluations, and
// the presets the CLI and the GUI offer. Torch-free so front ends can parse and list them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shape {

// Each runs the same guided denoiser over the same Karras noise levels (k-diffusion's samplers).
enum class SamplerKind {
  kHeun,     // Karras et al. 2nd order (two evaluations per step but the last): shap-e's own sampler
  kDpmpp2m,  // DPM-Solver++(2M), Lu et al. 2022: 2nd-order multistep, one evaluation per step
  kDpmpp3m,  // 3rd-order multistep (k-diffusion's sample_dpmpp_3m_sde with eta 0), one per step
  kEuler,    // 1st order, one per step
};

const std::vector<SamplerKind>& all_sampler_kinds();
// "heun", "dpm++2m", "dpm++3m", "euler".
std::string sampler_name(SamplerKind kind);
// "heun, dpm++2m, dpm++3m or euler": for messages and usage lines.
std::string sampler_choices();
// Throws std::invalid_argument naming the choices for an unknown name.
SamplerKind parse_sampler_kind(const std::string& name);

// Model evaluations (one guided transformer batch each) a sample of `steps` steps costs.
int64_t model_evaluations(SamplerKind kind, int64_t steps);

struct SamplerChoice {
  SamplerKind sampler = SamplerKind::kHeun;
  int64_t steps = 64;
  bool operator==(const SamplerChoice& other) const { return sampler == other.sampler && steps == other.steps; }
};

// kOfficial: what the paper and the official notebooks use (Heun, 64 steps). kFast: fewer model
// evaluations for a result close to it; bench/samplers.md has the evidence behind its choice.
enum class SamplerPreset { kOfficial, kFast };

const std::vector<SamplerPreset>& all_sampler_presets();
// "official", "fast".
std::string preset_name(SamplerPreset preset);
// "official or fast".
std::string preset_choices();
// Throws std::invalid_argument naming the choices for an unknown name.
SamplerPreset parse_sampler_preset(const std::string& name);
SamplerChoice preset_choice(SamplerPreset preset);
// "Heun, 64 steps (127 model evaluations)".
std::string describe(const SamplerChoice& choice);

// The preset a front end starts with.
inline constexpr SamplerPreset kDefaultSamplerPreset = SamplerPreset::kOfficial;

}  // namespace shape
