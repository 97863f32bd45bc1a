// Orbit re-renders: small while the camera moves, full size once when it rests.
#include <vector>

#include <gtest/gtest.h>

#include "gui/progressive_render.h"

namespace shape::studio {
namespace {

TEST(ProgressiveRender, SmallWhileMovingThenFullOnceAtRest) {
  ProgressiveRender progressive;
  EXPECT_FALSE(progressive.pending());
  EXPECT_EQ(progressive.moved(10.0, 128), 32);
  EXPECT_EQ(progressive.moved(10.1, 128), 32);
  EXPECT_FALSE(progressive.settled(10.2).has_value());  // moved 0.1 s ago
  EXPECT_TRUE(progressive.pending());
  EXPECT_EQ(progressive.settled(10.1 + ProgressiveRender::kSettleSeconds), 128);
  EXPECT_FALSE(progressive.pending());
  EXPECT_FALSE(progressive.settled(20.0).has_value());  // once
}

TEST(ProgressiveRender, DragHeightHasAFloorAndNeverExceedsTheFullHeight) {
  ProgressiveRender progressive;
  EXPECT_EQ(progressive.moved(0.0, 40), ProgressiveRender::kMinDragHeight);
  EXPECT_EQ(progressive.moved(0.0, 12), 12);
}

TEST(ProgressiveRender, CancelDropsThePendingFullRender) {
  ProgressiveRender progressive;
  progressive.moved(0.0, 64);
  progressive.cancel();
  EXPECT_FALSE(progressive.settled(5.0).has_value());
}

// At rest the view sharpens by doubling its rows up to the pane's pixel height, then stops.
TEST(ProgressiveRender, RefinesUpToThePanesPixelHeight) {
  std::vector<int> heights;
  for (auto height = std::optional<int>(64); height; height = ProgressiveRender::refined(*height, 700)) {
    heights.push_back(*height);
  }
  EXPECT_EQ(heights, (std::vector<int>{64, 128, 256, 512, 700}));
  EXPECT_FALSE(ProgressiveRender::refined(700, 700));
  EXPECT_FALSE(ProgressiveRender::refined(800, 700));  // a pane made smaller
  EXPECT_FALSE(ProgressiveRender::refined(0, 700));
}

}  // namespace
}  // namespace shape::studio
