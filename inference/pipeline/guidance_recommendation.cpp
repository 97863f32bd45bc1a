#include "inference/pipeline/guidance_recommendation.h"

#include <cstdio>
#include <limits>

namespace shape {

std::string GuidanceRecommendation::describe() const {
  char text[32];
  std::snprintf(text, sizeof text, "guidance %.3g", scale);
  const std::string late = describe_late();
  return late.empty() ? text : text + (", " + late);
}

std::string GuidanceRecommendation::describe_late() const {
  if (!(late_below_sigma > 0.0)) return {};
  char text[64];
  if (late_scale == 0.0 || late_scale == 1.0) {  // the sampler's "no guidance"
    std::snprintf(text, sizeof text, "then none below sigma %.3g", late_below_sigma);
  } else {
    std::snprintf(text, sizeof text, "then %.3g below sigma %.3g", late_scale, late_below_sigma);
  }
  return text;
}

bool operator==(const GuidanceRecommendation& a, const GuidanceRecommendation& b) {
  return a.scale == b.scale && a.late_below_sigma == b.late_below_sigma && a.late_scale == b.late_scale;
}

void choose_guidance(GenerationSettings& settings, std::optional<double> users_scale,
                     const std::optional<GuidanceRecommendation>& recommended, double fallback) {
  settings.guidance_sigma_low = 0.0;
  settings.guidance_sigma_high = std::numeric_limits<double>::infinity();
  settings.guidance_scale_outside = 1.0;
  if (users_scale || !recommended) {
    settings.guidance_scale = users_scale.value_or(fallback);
    return;
  }
  settings.guidance_scale = recommended->scale;
  if (recommended->late_below_sigma > 0.0) {
    // The sampler guides inside [low, high] with guidance_scale and outside it with
    // guidance_scale_outside.
    settings.guidance_sigma_low = recommended->late_below_sigma;
    settings.guidance_scale_outside = recommended->late_scale;
  }
}

}  // namespace shape
