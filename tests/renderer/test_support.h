// Shared helpers for renderer tests: a headless, validated Vulkan context per test that fails the
// test on any validation message (including leak reports at shutdown), pixel helpers, PNG output.
#pragma once

#include "renderer/capture.h"
#include "renderer/validation_monitor.h"
#include "renderer/vulkan_context.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

namespace shape::render::testing {

// Options for a test context: validation and synchronization validation on, shared monitor.
ContextOptions validated_options(const std::shared_ptr<ValidationMonitor>& monitor);

// Creates the context in SetUp; TearDown destroys it and expects zero validation messages. Keep
// Vulkan objects local to the test body so they are gone before TearDown.
class HeadlessVulkanTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  VulkanContext& context() { return *context_; }

  std::shared_ptr<ValidationMonitor> monitor_;
  std::unique_ptr<VulkanContext> context_;
};

using Rgba = std::array<uint8_t, 4>;

// Largest per-channel difference between two pixels.
int channel_distance(const Rgba& a, const Rgba& b);

// Writes the image to <test output dir>/<name>.png and returns the path.
std::string save_test_png(const RgbaImage& image, const std::string& name);

// Count of pixels whose colour differs from `background` by more than `tolerance` in any channel.
std::size_t count_pixels_unlike(const RgbaImage& image, const Rgba& background, int tolerance = 8);

}  // namespace shape::render::testing
