#include "test_support.h"

#include <algorithm>
#include <cstdlib>

namespace shape::render::testing {
namespace {

// Runs before main(): deterministic driver (lavapipe) and no on-disk shader cache, unless the
// environment already chose.
const bool kTestEnvironmentPinned = [] {
  setenv("VK_ICD_FILENAMES", "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json", /*overwrite=*/0);
  setenv("MESA_SHADER_CACHE_DISABLE", "true", /*overwrite=*/0);
  return true;
}();

}  // namespace

ContextOptions validated_options(const std::shared_ptr<ValidationMonitor>& monitor) {
  ContextOptions options;
  options.application_name = "shape renderer tests";
  options.enable_validation = true;
  options.enable_synchronization_validation = true;
  options.validation_monitor = monitor;
  return options;
}

void HeadlessVulkanTest::SetUp() {
  ASSERT_TRUE(kTestEnvironmentPinned);
  monitor_ = std::make_shared<ValidationMonitor>();
  context_ = std::make_unique<VulkanContext>(validated_options(monitor_));
  ASSERT_TRUE(context_->validation_enabled()) << "VK_LAYER_KHRONOS_validation must be installed for these tests";
}

void HeadlessVulkanTest::TearDown() {
  context_.reset();  // leak reports arrive here
  EXPECT_EQ(monitor_->message_count(), 0u) << monitor_->summary();
}

int channel_distance(const Rgba& a, const Rgba& b) {
  int distance = 0;
  for (int c = 0; c < 4; ++c) distance = std::max(distance, std::abs(int{a[c]} - int{b[c]}));
  return distance;
}

std::string save_test_png(const RgbaImage& image, const std::string& name) {
  const std::string path = std::string(SHAPE_RENDERER_TEST_OUTPUT_DIR) + "/" + name + ".png";
  write_png(path, image);
  return path;
}

std::size_t count_pixels_unlike(const RgbaImage& image, const Rgba& background, int tolerance) {
  std::size_t count = 0;
  for (uint32_t y = 0; y < image.height; ++y) {
    for (uint32_t x = 0; x < image.width; ++x) {
      if (channel_distance(image.at(x, y), background) > tolerance) ++count;
    }
  }
  return count;
}

}  // namespace shape::render::testing
