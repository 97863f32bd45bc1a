// The Vulkan context: headless creation on lavapipe, what it reports, immediate submission, error
// checking, and that validation messages really are counted.
#include "renderer/gpu_buffer.h"
#include "renderer/vk_check.h"
#include "renderer/vk_struct.h"
#include "test_support.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <vector>

namespace shape::render {
namespace {

using testing::HeadlessVulkanTest;

using RendererContext = HeadlessVulkanTest;

TEST_F(RendererContext, CreatesHeadlessDeviceAndReportsItsIdentity) {
  const DeviceInfo& info = context().device_info();
  EXPECT_TRUE(context().headless());
  EXPECT_EQ(context().surface(), VK_NULL_HANDLE);
  EXPECT_NE(context().graphics_queue(), VK_NULL_HANDLE);
  EXPECT_FALSE(info.name.empty());
  EXPECT_GE(info.api_version, static_cast<uint32_t>(VK_API_VERSION_1_1));
  EXPECT_TRUE(std::any_of(info.device_uuid.begin(), info.device_uuid.end(), [](uint8_t b) { return b != 0; }))
      << "deviceUUID is needed to match the CUDA device";
  EXPECT_EQ(info.device_uuid_string().size(), 32u);
  if (info.name.find("llvmpipe") != std::string::npos) {
    EXPECT_EQ(info.type, VK_PHYSICAL_DEVICE_TYPE_CPU);
    EXPECT_TRUE(info.external_memory_fd);  // lavapipe exports memory as fds
    EXPECT_TRUE(info.fill_mode_non_solid);
  }
  std::printf("device: %s, uuid %s, external_memory_fd %d, timeline %d\n", info.name.c_str(),
              info.device_uuid_string().c_str(), info.external_memory_fd, info.timeline_semaphores);
}

TEST_F(RendererContext, ImmediateSubmitRunsCommandsBeforeReturning) {
  constexpr std::size_t kCount = 1024;
  std::vector<uint32_t> values(kCount);
  std::iota(values.begin(), values.end(), 7u);
  GpuBuffer source(context(), kCount * 4, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, BufferMemory::HostUpload);
  source.write(values.data(), kCount * 4);
  GpuBuffer device(context(), kCount * 4, VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                   BufferMemory::DeviceLocal);
  GpuBuffer readback(context(), kCount * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT, BufferMemory::HostReadback);
  context().immediate_submit([&](VkCommandBuffer cmd) {
    const VkBufferCopy copy{0, 0, kCount * 4};
    vkCmdCopyBuffer(cmd, source.handle(), device.handle(), 1, &copy);
    auto barrier = vk_struct<VkMemoryBarrier>(VK_STRUCTURE_TYPE_MEMORY_BARRIER);
    barrier.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    barrier.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &barrier, 0,
                         nullptr, 0, nullptr);
    vkCmdCopyBuffer(cmd, device.handle(), readback.handle(), 1, &copy);
    barrier.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &barrier, 0, nullptr,
                         0, nullptr);
  });
  readback.invalidate_for_host_read();
  EXPECT_EQ(std::memcmp(readback.mapped(), values.data(), kCount * 4), 0);
}

TEST(RendererVkCheck, ThrowsWithCallAndResultName) {
  try {
    VK_CHECK(VK_ERROR_DEVICE_LOST);
    FAIL() << "VK_CHECK did not throw";
  } catch (const VulkanError& error) {
    EXPECT_EQ(error.result(), VK_ERROR_DEVICE_LOST);
    EXPECT_NE(std::string(error.what()).find("VK_ERROR_DEVICE_LOST"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("context_test.cpp"), std::string::npos) << error.what();
  }
  EXPECT_NO_THROW(VK_CHECK(VK_SUCCESS));
  EXPECT_EQ(vk_result_name(VK_SUBOPTIMAL_KHR), "VK_SUBOPTIMAL_KHR");
}

// The zero-message assertions elsewhere mean something only if messages do arrive: misuse the API
// on purpose (anisotropic filtering without enabling the feature) and watch the counter.
TEST(RendererValidation, CountsMessagesFromTheLayer) {
  std::vector<ValidationMessage> seen;
  auto monitor = std::make_shared<ValidationMonitor>([&](const ValidationMessage& m) { seen.push_back(m); });
  {
    VulkanContext context(testing::validated_options(monitor));
    ASSERT_TRUE(context.validation_enabled());
    auto info = vk_struct<VkSamplerCreateInfo>(VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO);
    info.anisotropyEnable = VK_TRUE;
    info.maxAnisotropy = 4.0f;
    VkSampler sampler = VK_NULL_HANDLE;
    VK_CHECK(vkCreateSampler(context.device(), &info, nullptr, &sampler));
    vkDestroySampler(context.device(), sampler, nullptr);
  }
  EXPECT_GE(monitor->message_count(), 1u);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.front().severity, ValidationSeverity::Error);
  EXPECT_NE(seen.front().id.find("anisotropy"), std::string::npos) << seen.front().id;
}

// Synchronization validation is on in tests: two copies into the same buffer with no barrier
// between them are a write-after-write hazard it must report.
TEST(RendererValidation, ReportsMissingBarriersAsHazards) {
  std::vector<ValidationMessage> seen;
  auto monitor = std::make_shared<ValidationMonitor>([&](const ValidationMessage& m) { seen.push_back(m); });
  {
    VulkanContext context(testing::validated_options(monitor));
    GpuBuffer source(context, 256, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, BufferMemory::HostUpload);
    GpuBuffer target(context, 256, VK_BUFFER_USAGE_TRANSFER_DST_BIT, BufferMemory::DeviceLocal);
    context.immediate_submit([&](VkCommandBuffer cmd) {
      const VkBufferCopy copy{0, 0, 256};
      vkCmdCopyBuffer(cmd, source.handle(), target.handle(), 1, &copy);
      vkCmdCopyBuffer(cmd, source.handle(), target.handle(), 1, &copy);
    });
  }
  ASSERT_FALSE(seen.empty());
  EXPECT_NE(seen.front().id.find("SYNC-HAZARD-WRITE-AFTER-WRITE"), std::string::npos) << seen.front().id;
}

}  // namespace
}  // namespace shape::render
