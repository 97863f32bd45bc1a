// Windowed rendering under X (Xvfb in CI): swapchain creation, frames, resize → recreation,
// minimise → no frames, screenshot capture. Skips without a display.
#include "renderer/image_display.h"
#include "renderer/mesh_pipeline.h"
#include "renderer/orbit_camera.h"
#include "renderer/window_renderer.h"
#include "test_meshes.h"
#include "test_support.h"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>

#include <chrono>
#include <cstdlib>
#include <vector>

namespace shape::render {
namespace {

using testing::Rgba;

class RendererWindow : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::getenv("DISPLAY")) GTEST_SKIP() << "no DISPLAY (run under xvfb-run)";
    if (!glfwInit()) GTEST_SKIP() << "glfwInit failed: no usable X display";
    glfw_ready_ = true;
    ASSERT_TRUE(glfwVulkanSupported());
    glfwWindowHint(GLFW_CLIENT_API, GLFW_NO_API);
    glfwWindowHint(GLFW_RESIZABLE, GLFW_TRUE);
    window_ = glfwCreateWindow(320, 240, "renderer_tests", nullptr, nullptr);
    ASSERT_NE(window_, nullptr);
    monitor_ = std::make_shared<ValidationMonitor>();
    ContextOptions options = testing::validated_options(monitor_);
    options.window = window_;
    context_ = std::make_unique<VulkanContext>(options);
    ASSERT_FALSE(context_->headless());
  }

  void TearDown() override {
    context_.reset();
    if (window_) glfwDestroyWindow(window_);
    if (glfw_ready_) glfwTerminate();
    if (monitor_) {
      EXPECT_EQ(monitor_->message_count(), 0u) << monitor_->summary();
    }
  }

  // Pumps events until the framebuffer reports `width` × `height` (X resizes asynchronously).
  bool wait_for_framebuffer(int width, int height) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      glfwWaitEventsTimeout(0.05);
      int w = 0;
      int h = 0;
      glfwGetFramebufferSize(window_, &w, &h);
      if (w == width && h == height) return true;
    }
    return false;
  }

  GLFWwindow* window_ = nullptr;
  bool glfw_ready_ = false;
  std::shared_ptr<ValidationMonitor> monitor_;
  std::unique_ptr<VulkanContext> context_;
};

// A frame as the GUI will draw it: split view, one shared camera.
void draw_split(const Frame& frame, const ImageDisplay& display, const MeshPipeline& mesh, const OrbitCamera& camera) {
  const ViewRect area{0, 0, static_cast<float>(frame.pass.extent.width), static_cast<float>(frame.pass.extent.height)};
  const ViewLayout layout = layout_views(ViewMode::Split, area, 2.0f);
  display.draw(frame.pass, layout.image);
  mesh.draw(frame.pass, layout.mesh, camera);
}

TEST_F(RendererWindow, RendersFramesRecreatesOnResizeAndCapturesScreenshots) {
  WindowRenderer renderer(*context_);
  EXPECT_GE(renderer.min_image_count(), 2u);
  EXPECT_GE(renderer.image_count(), renderer.min_image_count());
  EXPECT_EQ(renderer.extent().width, 320u);
  EXPECT_EQ(renderer.extent().height, 240u);
  const uint32_t first_generation = renderer.swapchain().generation();

  ImageDisplay display(*context_, renderer.render_pass());
  MeshPipeline mesh(*context_, renderer.render_pass());
  std::vector<uint8_t> red(16 * 16 * 4, 0);
  for (std::size_t i = 0; i < red.size(); i += 4) {
    red[i] = 255;
    red[i + 3] = 255;
  }
  display.set_image(red.data(), 16, 16);
  mesh.upload(testing::make_cube(0.5f, {0.0f, 0.0f, 1.0f}));
  OrbitCamera camera;

  // Updates between frames while the previous two are still in flight: the copies must be ordered
  // after those frames' reads (synchronization validation checks), and new sizes recreate things.
  std::vector<uint8_t> other(32 * 32 * 4, 200);
  for (int i = 0; i < 8; ++i) {
    glfwPollEvents();
    camera.orbit(5.0f, 0.0f, 240.0f);
    if (i % 2 == 1) display.set_image(i % 4 == 1 ? other.data() : red.data(), i % 4 == 1 ? 32 : 16, i % 4 == 1 ? 32 : 16);
    if (i == 2) display.set_image(red.data(), 16, 16);  // same size: in-place copy
    if (i == 4) mesh.upload(testing::make_sphere(0.7f, 16, 8));
    if (i == 6) mesh.upload(testing::make_cube(0.5f, {0.0f, 0.0f, 1.0f}));
    auto frame = renderer.begin_frame();
    ASSERT_TRUE(frame.has_value());
    EXPECT_LT(frame->frame_index, FramesInFlight::kCount);
    draw_split(*frame, display, mesh, camera);
    renderer.end_frame();
  }

  // Screenshot of the next frame.
  RgbaImage shot;
  renderer.capture_next_frame([&](const RgbaImage& image) { shot = image; });
  {
    auto frame = renderer.begin_frame();
    ASSERT_TRUE(frame.has_value());
    draw_split(*frame, display, mesh, camera);
    renderer.end_frame();
  }
  ASSERT_EQ(shot.width, 320u);
  ASSERT_EQ(shot.height, 240u);
  testing::save_test_png(shot, "window_split_320x240");
  EXPECT_EQ(shot.at(80, 120), (Rgba{255, 0, 0, 255}));  // left view: the red image
  const Rgba cube = shot.at(240, 120);                   // right view: the blue cube
  EXPECT_GT(cube[2], 100);
  EXPECT_LT(cube[0], 10);

  // Resize: the next frame rebuilds the swapchain at the new size.
  glfwSetWindowSize(window_, 480, 300);
  ASSERT_TRUE(wait_for_framebuffer(480, 300));
  bool saw_recreated = false;
  for (int i = 0; i < 4; ++i) {
    auto frame = renderer.begin_frame();
    if (!frame) continue;  // out-of-date acquire: rebuilt, try again
    saw_recreated = saw_recreated || frame->swapchain_recreated;
    EXPECT_EQ(frame->pass.extent.width, 480u);
    EXPECT_EQ(frame->pass.extent.height, 300u);
    draw_split(*frame, display, mesh, camera);
    renderer.end_frame();
  }
  EXPECT_TRUE(saw_recreated);
  EXPECT_GT(renderer.swapchain().generation(), first_generation);
  renderer.capture_next_frame([&](const RgbaImage& image) { shot = image; });
  auto frame = renderer.begin_frame();
  ASSERT_TRUE(frame.has_value());
  draw_split(*frame, display, mesh, camera);
  renderer.end_frame();
  EXPECT_EQ(shot.width, 480u);
  EXPECT_EQ(shot.height, 300u);
  testing::save_test_png(shot, "window_split_480x300");
}

TEST_F(RendererWindow, MinimisedWindowSkipsFramesUntilRestored) {
  // Xvfb has no window manager to iconify windows, so the minimised state (a 0×0 framebuffer, what
  // GLFW reports for an iconified window) is fed in through the size source.
  bool minimised = false;
  WindowRendererOptions options;
  options.framebuffer_extent = [&]() -> VkExtent2D {
    if (minimised) return {0, 0};
    int w = 0;
    int h = 0;
    glfwGetFramebufferSize(window_, &w, &h);
    return {static_cast<uint32_t>(w), static_cast<uint32_t>(h)};
  };
  WindowRenderer renderer(*context_, options);
  for (int i = 0; i < 3; ++i) {
    auto frame = renderer.begin_frame();
    ASSERT_TRUE(frame.has_value());
    renderer.end_frame();
  }
  minimised = true;
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(renderer.begin_frame().has_value());
  EXPECT_THROW(renderer.end_frame(), std::logic_error);  // no frame is open
  minimised = false;
  int drawn = 0;
  for (int i = 0; i < 3; ++i) {
    auto frame = renderer.begin_frame();
    if (!frame) continue;
    ++drawn;
    renderer.end_frame();
  }
  EXPECT_GE(drawn, 2);
}

}  // namespace
}  // namespace shape::render
