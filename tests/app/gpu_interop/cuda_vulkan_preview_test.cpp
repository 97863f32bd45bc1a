// The whole CUDA–Vulkan preview path on a GPU machine: Vulkan exports a buffer and a timeline
// semaphore, CUDA imports both on the device with the same UUID, writes a frame on a stream and
// signals; Vulkan's copy waits for the signal and the drawn pixels must equal the staging path's.
// Exits 77 (ctest: skipped) without a CUDA device, or when the Vulkan device cannot export what the
// interop needs (then the GUI uses the staging path, which the renderer tests cover).
#include "gpu_interop/cuda_check.h"
#include "gpu_interop/cuda_devices.h"
#include "gpu_interop/cuda_external_memory.h"
#include "gpu_interop/cuda_external_semaphore.h"
#include "renderer/external_interop_support.h"
#include "renderer/external_memory_image_uploader.h"
#include "renderer/image_display.h"
#include "renderer/offscreen_target.h"
#include "renderer/uploader_selection.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <vector>

namespace shape {
namespace {

constexpr int kSkip = 77;
constexpr uint32_t kSize = 64;

std::vector<uint8_t> test_pattern() {
  std::vector<uint8_t> pixels(std::size_t{kSize} * kSize * 4);
  for (uint32_t y = 0; y < kSize; ++y) {
    for (uint32_t x = 0; x < kSize; ++x) {
      uint8_t* p = &pixels[(std::size_t{y} * kSize + x) * 4];
      p[0] = static_cast<uint8_t>(x * 3);
      p[1] = static_cast<uint8_t>(y * 5);
      p[2] = static_cast<uint8_t>(x ^ y);
      p[3] = 255;
    }
  }
  return pixels;
}

render::ContextOptions validated_options(const std::shared_ptr<render::ValidationMonitor>& monitor) {
  render::ContextOptions options;
  options.application_name = "shape cuda interop test";
  options.enable_validation = true;
  options.validation_monitor = monitor;
  return options;
}

render::RgbaImage draw(render::OffscreenTarget& target, const render::ImageDisplay& display) {
  target.render([&](const render::ActivePass& pass) { display.draw(pass, {0, 0, kSize, kSize}); },
                {0.0f, 0.0f, 0.0f, 1.0f});
  return target.read_back();
}

TEST(CudaVulkanPreview, FrameWrittenByCudaMatchesTheStagingPath) {
  auto monitor = std::make_shared<render::ValidationMonitor>();
  {
    render::VulkanContext context(validated_options(monitor));
    const render::ExternalInteropSupport support = render::query_external_interop_support(context);
    const std::optional<int> device = gpu::find_cuda_device_by_uuid(support.device_uuid);
    ASSERT_TRUE(device.has_value());  // main() skipped otherwise
    render::InteropFacts facts;
    facts.cuda_interop_built = facts.cuda_device_matches_vulkan = facts.producer_on_that_cuda_device = true;
    facts.vulkan_memory_fd_export = support.memory_fd_export;
    facts.vulkan_semaphore_fd_export = support.semaphore_fd_export;
    ASSERT_EQ(render::choose_image_uploader(facts).kind, render::UploaderKind::ExternalMemory);

    const std::vector<uint8_t> pattern = test_pattern();
    render::OffscreenTarget target(context, {kSize, kSize});
    render::ImageDisplay staging_display(context, target.render_pass());
    staging_display.set_image(pattern.data(), kSize, kSize);
    const render::RgbaImage expected = draw(target, staging_display);

    render::ExternalMemoryImageUploader uploader(context, pattern.size(), render::ProducerSync::TimelineSemaphore);
    gpu::CudaExternalMemory memory(uploader.buffer().export_fd(), uploader.buffer().allocation_size(),
                                   uploader.buffer().size(), *device);
    gpu::CudaExternalTimelineSemaphore frame_written(uploader.semaphore()->export_fd(), *device);
    gpu::CudaDeviceScope on_device(*device);
    cudaStream_t stream = nullptr;
    CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    render::ImageDisplay interop_display(context, target.render_pass());
    // Two frames: the second proves the timeline value advances and the buffer is reusable.
    for (int frame = 0; frame < 2; ++frame) {
      EXPECT_EQ(uploader.begin_write(kSize, kSize), nullptr);
      CUDA_CHECK(cudaMemcpyAsync(memory.pointer(), pattern.data(), pattern.size(), cudaMemcpyHostToDevice, stream));
      frame_written.signal(uploader.pending_value(), stream);
      interop_display.update_from(uploader.end_write());  // the GPU copy waits for the signal
    }
    const render::RgbaImage actual = draw(target, interop_display);
    CUDA_CHECK(cudaStreamSynchronize(stream));
    CUDA_CHECK(cudaStreamDestroy(stream));

    std::size_t differing = 0;
    for (uint32_t y = 0; y < kSize; ++y) {
      for (uint32_t x = 0; x < kSize; ++x) differing += actual.at(x, y) != expected.at(x, y);
    }
    EXPECT_EQ(differing, 0u);
    context.wait_idle();
  }
  EXPECT_EQ(monitor->message_count(), 0u) << monitor->summary();
}

// Why this machine cannot run the test, or empty when it can.
std::string reason_to_skip() {
  std::string why;
  if (gpu::cuda_device_count(&why) == 0) return "no CUDA device (" + why + ")";
  render::VulkanContext context(render::ContextOptions{});
  const render::ExternalInteropSupport support = render::query_external_interop_support(context);
  if (!support.memory_fd_export || !support.semaphore_fd_export) {
    return "Vulkan device '" + context.device_info().name + "' cannot export memory and timeline semaphores as fds";
  }
  if (!gpu::find_cuda_device_by_uuid(support.device_uuid)) {
    return "no CUDA device has the UUID of Vulkan device '" + context.device_info().name + "'";
  }
  return {};
}

}  // namespace
}  // namespace shape

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const std::string skip = shape::reason_to_skip();
  if (!skip.empty()) {
    std::printf("SKIPPED: %s\n", skip.c_str());
    return shape::kSkip;
  }
  return RUN_ALL_TESTS();
}
