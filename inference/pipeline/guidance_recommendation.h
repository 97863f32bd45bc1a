// The classifier-free guidance a model was made for (a model folder's sampling.yaml), and how a
// generation's guidance is chosen from it and the user's. Torch-free header.
#pragma once

#include <optional>
#include <string>

#include "inference/pipeline/latent_generator.h"

namespace shape {

struct GuidanceRecommendation {
  double scale = 3.0;
  // Below this noise level (sigma), `late_scale` instead; 0: `scale` throughout. The demo image
  // model's guidance settles a shape early on and, kept on to the end, rounds it into a look-alike
  // (a cube into a cylinder, a cone into a pyramid).
  double late_below_sigma = 0.0;
  double late_scale = 1.0;

  // "guidance 4", "guidance 4, then 2 below sigma 3" or "guidance 4, then none below sigma 3".
  std::string describe() const;
  // "then none below sigma 3" (or "then 2 ..."), or empty without a late scale.
  std::string describe_late() const;
};
bool operator==(const GuidanceRecommendation& a, const GuidanceRecommendation& b);

// A generation's guidance: the user's scale, throughout, where one is given; else the model's
// recommendation; else `fallback` (Shap-E's default for the mode: 15 for text, 3 for images).
void choose_guidance(GenerationSettings& settings, std::optional<double> users_scale,
                     const std::optional<GuidanceRecommendation>& recommended, double fallback);

}  // namespace shape
