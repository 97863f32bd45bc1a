// Aspect fitting and the split / single view layouts.
#include "renderer/view_layout.h"

#include <gtest/gtest.h>

namespace shape::render {
namespace {

void expect_rect(const ViewRect& r, float x, float y, float w, float h) {
  EXPECT_FLOAT_EQ(r.x, x);
  EXPECT_FLOAT_EQ(r.y, y);
  EXPECT_FLOAT_EQ(r.width, w);
  EXPECT_FLOAT_EQ(r.height, h);
}

TEST(RendererLayout, WideContentIsLetterboxed) {
  expect_rect(fit_aspect({10, 20, 400, 400}, 2.0f), 10, 120, 400, 200);
}

TEST(RendererLayout, TallContentIsPillarboxed) {
  expect_rect(fit_aspect({0, 0, 300, 200}, 0.5f), 100, 0, 100, 200);
}

TEST(RendererLayout, MatchingAspectFillsTheArea) {
  expect_rect(fit_aspect({5, 6, 256, 128}, 2.0f), 5, 6, 256, 128);
}

TEST(RendererLayout, DegenerateInputsGiveEmptyRects) {
  EXPECT_TRUE(fit_aspect({0, 0, 0, 100}, 1.0f).empty());
  EXPECT_TRUE(fit_aspect({0, 0, 100, 100}, 0.0f).empty());
}

TEST(RendererLayout, SplitPutsImageLeftAndMeshRight) {
  const ViewLayout layout = layout_views(ViewMode::Split, {0, 30, 810, 400}, 10.0f);
  ASSERT_TRUE(layout.show_image);
  ASSERT_TRUE(layout.show_mesh);
  expect_rect(layout.image, 0, 30, 400, 400);
  expect_rect(layout.mesh, 410, 30, 400, 400);
  EXPECT_TRUE(layout.image.contains(399, 100));
  EXPECT_FALSE(layout.image.contains(405, 100));
  EXPECT_TRUE(layout.mesh.contains(410, 100));
}

TEST(RendererLayout, SingleViewModesUseTheWholeArea) {
  const ViewRect area{0, 0, 640, 480};
  const ViewLayout image = layout_views(ViewMode::ImageOnly, area);
  EXPECT_TRUE(image.show_image);
  EXPECT_FALSE(image.show_mesh);
  expect_rect(image.image, 0, 0, 640, 480);
  const ViewLayout mesh = layout_views(ViewMode::MeshOnly, area);
  EXPECT_FALSE(mesh.show_image);
  EXPECT_TRUE(mesh.show_mesh);
  expect_rect(mesh.mesh, 0, 0, 640, 480);
}

}  // namespace
}  // namespace shape::render
