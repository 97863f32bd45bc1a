// Headless rendering into an offscreen target and reading it back.
#include "renderer/image_display.h"
#include "renderer/offscreen_target.h"
#include "test_support.h"

#include <vector>

namespace shape::render {
namespace {

using testing::channel_distance;
using testing::Rgba;
using RendererOffscreen = testing::HeadlessVulkanTest;

TEST_F(RendererOffscreen, ClearColourReadsBackEverywhere) {
  OffscreenTarget target(context(), {96, 64});
  target.render([](const ActivePass&) {}, ClearColor{1.0f, 0.5f, 0.0f, 1.0f});
  const RgbaImage image = target.read_back();
  ASSERT_EQ(image.width, 96u);
  ASSERT_EQ(image.height, 64u);
  const Rgba expected{255, 128, 0, 255};
  for (uint32_t y = 0; y < image.height; y += 7) {
    for (uint32_t x = 0; x < image.width; x += 5) EXPECT_LE(channel_distance(image.at(x, y), expected), 1);
  }
}

TEST_F(RendererOffscreen, ReadBackBeforeRenderIsAnError) {
  OffscreenTarget target(context(), {8, 8});
  EXPECT_THROW(target.read_back(), std::logic_error);
}

TEST_F(RendererOffscreen, ResizeKeepsRenderPassAndPipelinesUsable) {
  OffscreenTarget target(context(), {64, 64});
  const VkRenderPass pass_before = target.render_pass();
  ImageDisplay display(context(), target.render_pass());
  const std::vector<uint8_t> green(4 * 4 * 4, 0);
  std::vector<uint8_t> pixels = green;
  for (std::size_t i = 0; i < pixels.size(); i += 4) {
    pixels[i + 1] = 255;
    pixels[i + 3] = 255;
  }
  display.set_image(pixels.data(), 4, 4);

  for (const VkExtent2D size : {VkExtent2D{64, 64}, VkExtent2D{200, 100}, VkExtent2D{33, 77}}) {
    target.resize(size);
    EXPECT_EQ(target.render_pass(), pass_before);
    target.render([&](const ActivePass& pass) {
      display.draw(pass, {0, 0, static_cast<float>(size.width), static_cast<float>(size.height)});
    });
    const RgbaImage image = target.read_back();
    ASSERT_EQ(image.width, size.width);
    ASSERT_EQ(image.height, size.height);
    // The square image is centred; its middle is green whatever the target's shape.
    EXPECT_LE(channel_distance(image.at(size.width / 2, size.height / 2), Rgba{0, 255, 0, 255}), 1);
  }
}

TEST_F(RendererOffscreen, WritesPng) {
  OffscreenTarget target(context(), {16, 16});
  target.render([](const ActivePass&) {}, ClearColor{0.0f, 0.0f, 1.0f, 1.0f});
  const std::string path = testing::save_test_png(target.read_back(), "offscreen_clear_blue");
  std::FILE* file = std::fopen(path.c_str(), "rb");
  ASSERT_NE(file, nullptr) << path;
  unsigned char signature[8] = {};
  EXPECT_EQ(std::fread(signature, 1, 8, file), 8u);
  std::fclose(file);
  EXPECT_EQ(signature[1], 'P');
  EXPECT_EQ(signature[2], 'N');
  EXPECT_EQ(signature[3], 'G');
}

}  // namespace
}  // namespace shape::render
