// The textured-quad image display: exact pixels, orientation, aspect fitting, uploader paths.
#include "renderer/image_display.h"
#include "renderer/offscreen_target.h"
#include "renderer/vk_check.h"
#include "renderer/vk_struct.h"
#include "test_support.h"

#include <cstring>
#include <vector>

namespace shape::render {
namespace {

using testing::channel_distance;
using testing::Rgba;
using RendererImageDisplay = testing::HeadlessVulkanTest;

const ClearColor kClear{0.0f, 0.0f, 0.0f, 1.0f};
const Rgba kClearPixel{0, 0, 0, 255};

// A pattern where every pixel is distinct and orientation errors show: R = x, G = y, B = x ^ y.
std::vector<uint8_t> gradient_pattern(uint32_t width, uint32_t height) {
  std::vector<uint8_t> pixels(std::size_t{width} * height * 4);
  for (uint32_t y = 0; y < height; ++y) {
    for (uint32_t x = 0; x < width; ++x) {
      uint8_t* p = &pixels[(std::size_t{y} * width + x) * 4];
      p[0] = static_cast<uint8_t>(x * 255 / (width - 1));
      p[1] = static_cast<uint8_t>(y * 255 / (height - 1));
      p[2] = static_cast<uint8_t>((x ^ y) & 0xff);
      p[3] = 255;
    }
  }
  return pixels;
}

// Four flat quadrants: top-left red, top-right green, bottom-left blue, bottom-right white.
std::vector<uint8_t> quadrant_pattern(uint32_t width, uint32_t height) {
  std::vector<uint8_t> pixels(std::size_t{width} * height * 4);
  for (uint32_t y = 0; y < height; ++y) {
    for (uint32_t x = 0; x < width; ++x) {
      const bool right = x >= width / 2;
      const bool bottom = y >= height / 2;
      Rgba c = !bottom ? (right ? Rgba{0, 255, 0, 255} : Rgba{255, 0, 0, 255})
                       : (right ? Rgba{255, 255, 255, 255} : Rgba{0, 0, 255, 255});
      std::memcpy(&pixels[(std::size_t{y} * width + x) * 4], c.data(), 4);
    }
  }
  return pixels;
}

RgbaImage render_image(OffscreenTarget& target, const ImageDisplay& display, const ViewRect& area,
                       ViewRect* fitted = nullptr) {
  target.render([&](const ActivePass& pass) {
    const ViewRect drawn = display.draw(pass, area);
    if (fitted) *fitted = drawn;
  }, kClear);
  return target.read_back();
}

TEST_F(RendererImageDisplay, SameSizeImageIsReproducedExactly) {
  constexpr uint32_t kSize = 128;
  OffscreenTarget target(context(), {kSize, kSize});
  ImageDisplay display(context(), target.render_pass());
  const std::vector<uint8_t> pattern = gradient_pattern(kSize, kSize);
  display.set_image(pattern.data(), kSize, kSize);
  ASSERT_TRUE(display.has_image());
  const RgbaImage image = render_image(target, display, {0, 0, kSize, kSize});
  testing::save_test_png(image, "image_display_gradient_128");
  int worst = 0;
  for (uint32_t y = 0; y < kSize; ++y) {
    for (uint32_t x = 0; x < kSize; ++x) {
      Rgba expected;
      std::memcpy(expected.data(), &pattern[(std::size_t{y} * kSize + x) * 4], 4);
      worst = std::max(worst, channel_distance(image.at(x, y), expected));
    }
  }
  // Texel centres land on pixel centres: linear filtering returns the texel itself.
  EXPECT_LE(worst, 1);
}

TEST_F(RendererImageDisplay, WideImageIsLetterboxedWithOrientationKept) {
  OffscreenTarget target(context(), {128, 128});
  ImageDisplay display(context(), target.render_pass());
  const std::vector<uint8_t> pattern = quadrant_pattern(64, 32);  // 2:1
  display.set_image(pattern.data(), 64, 32);
  ViewRect fitted;
  const RgbaImage image = render_image(target, display, {0, 0, 128, 128}, &fitted);
  testing::save_test_png(image, "image_display_letterbox");
  EXPECT_FLOAT_EQ(fitted.y, 32.0f);
  EXPECT_FLOAT_EQ(fitted.height, 64.0f);
  EXPECT_LE(channel_distance(image.at(32, 48), Rgba{255, 0, 0, 255}), 1);     // top-left
  EXPECT_LE(channel_distance(image.at(96, 48), Rgba{0, 255, 0, 255}), 1);     // top-right
  EXPECT_LE(channel_distance(image.at(32, 80), Rgba{0, 0, 255, 255}), 1);     // bottom-left
  EXPECT_LE(channel_distance(image.at(96, 80), Rgba{255, 255, 255, 255}), 1); // bottom-right
  // Bars above and below, right up to the image's edge.
  for (uint32_t x = 0; x < 128; x += 9) {
    EXPECT_EQ(image.at(x, 0), kClearPixel);
    EXPECT_EQ(image.at(x, 31), kClearPixel);
    EXPECT_NE(image.at(x, 32), kClearPixel);
    EXPECT_NE(image.at(x, 95), kClearPixel);
    EXPECT_EQ(image.at(x, 96), kClearPixel);
    EXPECT_EQ(image.at(x, 127), kClearPixel);
  }
}

TEST_F(RendererImageDisplay, TallImageIsPillarboxedInsideAnOffsetView) {
  OffscreenTarget target(context(), {256, 128});
  ImageDisplay display(context(), target.render_pass());
  const std::vector<uint8_t> pattern = quadrant_pattern(32, 64);  // 1:2
  display.set_image(pattern.data(), 32, 64);
  // The right half of the target is the view; the image is 64 wide, centred at x = 192.
  const RgbaImage image = render_image(target, display, {128, 0, 128, 128});
  testing::save_test_png(image, "image_display_pillarbox");
  EXPECT_EQ(image.at(159, 64), kClearPixel);
  EXPECT_LE(channel_distance(image.at(176, 32), Rgba{255, 0, 0, 255}), 1);
  EXPECT_LE(channel_distance(image.at(208, 96), Rgba{255, 255, 255, 255}), 1);
  EXPECT_EQ(image.at(224, 64), kClearPixel);
  EXPECT_EQ(image.at(64, 64), kClearPixel);  // nothing outside the view
}

TEST_F(RendererImageDisplay, NewSizeReplacesTheTexture) {
  OffscreenTarget target(context(), {128, 128});
  ImageDisplay display(context(), target.render_pass());
  for (const uint32_t size : {128u, 1024u, 200u}) {
    const std::vector<uint8_t> pattern = quadrant_pattern(size, size);
    display.set_image(pattern.data(), size, size);
    EXPECT_EQ(display.image_extent().width, size);
    const RgbaImage image = render_image(target, display, {0, 0, 128, 128});
    EXPECT_LE(channel_distance(image.at(20, 20), Rgba{255, 0, 0, 255}), 1) << size;
    EXPECT_LE(channel_distance(image.at(108, 108), Rgba{255, 255, 255, 255}), 1) << size;
  }
  display.clear();
  EXPECT_FALSE(display.has_image());
  const RgbaImage image = render_image(target, display, {0, 0, 128, 128});
  EXPECT_EQ(testing::count_pixels_unlike(image, kClearPixel, 0), 0u);
}

// The ImageUploader protocol as a producer uses it: write into the uploader's memory, then hand the
// buffer (and a semaphore the producer signals, as CUDA will) to the display.
TEST_F(RendererImageDisplay, UploaderPathWaitsForTheProducersSemaphore) {
  OffscreenTarget target(context(), {64, 64});
  ImageDisplay display(context(), target.render_pass());
  StagingImageUploader uploader(context());
  uint8_t* destination = uploader.begin_write(64, 64);
  ASSERT_NE(destination, nullptr);
  const std::vector<uint8_t> pattern = gradient_pattern(64, 64);
  std::memcpy(destination, pattern.data(), pattern.size());
  PixelSource source = uploader.end_write();
  EXPECT_EQ(source.width, 64u);

  VkSemaphore semaphore = VK_NULL_HANDLE;
  auto type = vk_struct<VkSemaphoreTypeCreateInfo>(VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO);
  const bool timeline = context().device_info().timeline_semaphores;
  if (timeline) {
    type.semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE;
    type.initialValue = 0;
    auto info = vk_struct<VkSemaphoreCreateInfo>(VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO);
    info.pNext = &type;
    VK_CHECK(vkCreateSemaphore(context().device(), &info, nullptr, &semaphore));
    auto signal = vk_struct<VkSemaphoreSignalInfo>(VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO);
    signal.semaphore = semaphore;
    signal.value = 1;  // the "producer" finished
    VK_CHECK(vkSignalSemaphore(context().device(), &signal));
    source.wait = SubmitWait{semaphore, 1, VK_PIPELINE_STAGE_TRANSFER_BIT};
  }
  display.update_from(source);
  if (semaphore) vkDestroySemaphore(context().device(), semaphore, nullptr);

  const RgbaImage image = render_image(target, display, {0, 0, 64, 64});
  EXPECT_LE(channel_distance(image.at(10, 50), Rgba{pattern[(50 * 64 + 10) * 4], pattern[(50 * 64 + 10) * 4 + 1],
                                                    pattern[(50 * 64 + 10) * 4 + 2], 255}),
            1);
}

TEST_F(RendererImageDisplay, RejectsEmptyAndOversizedImages) {
  OffscreenTarget target(context(), {8, 8});
  ImageDisplay display(context(), target.render_pass());
  EXPECT_THROW(display.update_from(PixelSource{}), std::invalid_argument);
  EXPECT_THROW(display.set_image(nullptr, 4, 4), std::invalid_argument);
  PixelSource huge;
  huge.buffer = reinterpret_cast<VkBuffer>(uintptr_t{1});  // never used: rejected first
  huge.width = context().device_info().max_image_dimension_2d + 1;
  huge.height = 1;
  EXPECT_THROW(display.update_from(huge), std::invalid_argument);
}

TEST_F(RendererImageDisplay, SlotsHoldTheirOwnImagesAndDrawsRespectTheClip) {
  OffscreenTarget target(context(), {128, 64});
  ImageDisplay display(context(), target.render_pass(), 3);
  const std::vector<uint8_t> quadrants = quadrant_pattern(16, 16);
  const std::vector<uint8_t> white(8 * 8 * 4, 255);
  display.set_image(quadrants.data(), 16, 16, 0);
  display.set_image(white.data(), 8, 8, 2);
  EXPECT_TRUE(display.has_image(0));
  EXPECT_FALSE(display.has_image(1));
  EXPECT_EQ(display.image_extent(2).width, 8u);
  target.render([&](const ActivePass& pass) {
    display.draw(pass, {0, 0, 64, 64}, 0);
    EXPECT_TRUE(display.draw(pass, {64, 0, 64, 64}, 1).empty());  // an empty slot draws nothing
    // Slot 2 over the right half, clipped to its top half (as a scrolled GUI panel clips).
    display.draw(pass, {64, 0, 64, 64}, 2, ViewRect{64, 0, 64, 32});
  }, kClear);
  const RgbaImage image = target.read_back();
  EXPECT_LE(channel_distance(image.at(16, 16), Rgba{255, 0, 0, 255}), 1);    // slot 0's top-left quadrant
  EXPECT_LE(channel_distance(image.at(48, 48), Rgba{255, 255, 255, 255}), 1);
  EXPECT_EQ(image.at(96, 16), (Rgba{255, 255, 255, 255}));  // slot 2 inside the clip
  EXPECT_EQ(image.at(96, 48), kClearPixel);                 // ... and cut off below it
  display.clear(2);
  EXPECT_FALSE(display.has_image(2));
  EXPECT_TRUE(display.has_image(0));
}

}  // namespace
}  // namespace shape::render
