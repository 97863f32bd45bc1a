#include <gtest/gtest.h>

#include <limits>

#include "inference/pipeline/guidance_recommendation.h"

namespace shape {
namespace {

// The user's scale holds throughout; else the model's recommendation, its late scale as the
// sampler's scale outside [late_below_sigma, inf); else Shap-E's default.
TEST(GuidanceRecommendation, TheUsersScaleThenTheModelsThenShapEsDefault) {
  const GuidanceRecommendation late{4.0, 3.0, 1.5};
  GenerationSettings settings;
  choose_guidance(settings, std::nullopt, late, 15.0);
  EXPECT_EQ(settings.guidance_scale, 4.0);
  EXPECT_EQ(settings.guidance_sigma_low, 3.0);
  EXPECT_EQ(settings.guidance_sigma_high, std::numeric_limits<double>::infinity());
  EXPECT_EQ(settings.guidance_scale_outside, 1.5);
  EXPECT_EQ(late.describe(), "guidance 4, then 1.5 below sigma 3");
  EXPECT_EQ(late.describe_late(), "then 1.5 below sigma 3");

  choose_guidance(settings, 7.0, late, 15.0);
  EXPECT_EQ(settings.guidance_scale, 7.0);
  EXPECT_EQ(settings.guidance_sigma_low, 0.0);
  EXPECT_EQ(settings.guidance_scale_outside, 1.0);

  choose_guidance(settings, std::nullopt, GuidanceRecommendation{2.0}, 15.0);
  EXPECT_EQ(settings.guidance_scale, 2.0);
  EXPECT_EQ(settings.guidance_sigma_low, 0.0);
  EXPECT_EQ(GuidanceRecommendation{2.0}.describe(), "guidance 2");
  EXPECT_EQ(GuidanceRecommendation{2.0}.describe_late(), "");
  EXPECT_EQ((GuidanceRecommendation{4.0, 3.0, 1.0}).describe(), "guidance 4, then none below sigma 3");

  choose_guidance(settings, std::nullopt, std::nullopt, 3.0);
  EXPECT_EQ(settings.guidance_scale, 3.0);
}

}  // namespace
}  // namespace shape
