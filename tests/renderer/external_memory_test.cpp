// The Vulkan half of the CUDA–Vulkan interop on lavapipe: capability queries, an exported memory fd
// that really aliases the buffer (imported back into Vulkan here, as CUDA imports it on a GPU), and
// the zero-copy uploader showing exactly the pixels the staging path shows. Validation must stay
// silent (HeadlessVulkanTest fails on any message).
#include "renderer/exportable_buffer.h"
#include "renderer/exportable_semaphore.h"
#include "renderer/external_interop_support.h"
#include "renderer/external_memory_image_uploader.h"
#include "renderer/gpu_buffer.h"
#include "renderer/image_display.h"
#include "renderer/offscreen_target.h"
#include "renderer/uploader_selection.h"
#include "renderer/vk_check.h"
#include "renderer/vk_struct.h"
#include "test_support.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

namespace shape::render {
namespace {

using RendererExternalMemory = testing::HeadlessVulkanTest;

bool is_lavapipe(const VulkanContext& context) {
  return context.device_info().name.find("llvmpipe") != std::string::npos;
}

// Every pixel distinct, so a misplaced row or channel shows.
std::vector<uint8_t> test_pattern(uint32_t width, uint32_t height) {
  std::vector<uint8_t> pixels(std::size_t{width} * height * 4);
  for (uint32_t y = 0; y < height; ++y) {
    for (uint32_t x = 0; x < width; ++x) {
      uint8_t* p = &pixels[(std::size_t{y} * width + x) * 4];
      p[0] = static_cast<uint8_t>(x * 3);
      p[1] = static_cast<uint8_t>(y * 5);
      p[2] = static_cast<uint8_t>(x ^ y);
      p[3] = 255;
    }
  }
  return pixels;
}

// A second VkBuffer on memory imported from an fd: what cudaImportExternalMemory does on a GPU.
// Takes ownership of the fd on success.
class ImportedBufferAlias {
 public:
  ImportedBufferAlias(VulkanContext& context, const ExportableBuffer& exported, int fd) : device_(context.device()) {
    auto external_info =
        vk_struct<VkExternalMemoryBufferCreateInfo>(VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO);
    external_info.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
    auto info = vk_struct<VkBufferCreateInfo>(VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO);
    info.pNext = &external_info;
    info.size = exported.size();
    info.usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    VK_CHECK(vkCreateBuffer(device_, &info, nullptr, &buffer_));
    VkMemoryRequirements requirements;
    vkGetBufferMemoryRequirements(device_, buffer_, &requirements);
    auto dedicated = vk_struct<VkMemoryDedicatedAllocateInfo>(VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO);
    dedicated.buffer = buffer_;
    auto import_info = vk_struct<VkImportMemoryFdInfoKHR>(VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR);
    import_info.pNext = &dedicated;
    import_info.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
    import_info.fd = fd;
    auto allocate = vk_struct<VkMemoryAllocateInfo>(VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO);
    allocate.pNext = &import_info;
    allocate.allocationSize = exported.allocation_size();
    allocate.memoryTypeIndex =
        context.find_memory_type(requirements.memoryTypeBits, exported.memory_flags());
    VK_CHECK(vkAllocateMemory(device_, &allocate, nullptr, &memory_));
    VK_CHECK(vkBindBufferMemory(device_, buffer_, memory_, 0));
  }
  ~ImportedBufferAlias() {
    vkDestroyBuffer(device_, buffer_, nullptr);
    if (memory_) vkFreeMemory(device_, memory_, nullptr);
  }
  ImportedBufferAlias(const ImportedBufferAlias&) = delete;
  ImportedBufferAlias& operator=(const ImportedBufferAlias&) = delete;
  VkBuffer handle() const { return buffer_; }

 private:
  VkDevice device_;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
};

RgbaImage render_to_image(OffscreenTarget& target, const ImageDisplay& display) {
  target.render([&](const ActivePass& pass) { display.draw(pass, {0, 0, 64, 64}); }, {0.0f, 0.0f, 0.0f, 1.0f});
  return target.read_back();
}

TEST_F(RendererExternalMemory, CapabilitiesMatchTheDevice) {
  const ExternalInteropSupport support = query_external_interop_support(context());
  EXPECT_EQ(support.device_uuid, context().device_info().device_uuid);
  EXPECT_EQ(support.memory_fd_export, context().device_info().external_memory_fd);
  if (!is_lavapipe(context())) GTEST_SKIP() << "lavapipe-specific expectations; device is " << context().device_info().name;
  EXPECT_TRUE(support.memory_fd_export);
  EXPECT_FALSE(support.semaphore_fd_export);  // Mesa 22.3 lavapipe has no VK_KHR_external_semaphore_fd
  EXPECT_FALSE(context().device_info().external_semaphore_fd);
  // So the GUI keeps the staging path, and says why.
  InteropFacts facts;
  facts.vulkan_memory_fd_export = support.memory_fd_export;
  facts.vulkan_semaphore_fd_export = support.semaphore_fd_export;
  facts.cuda_interop_built = facts.cuda_device_matches_vulkan = facts.producer_on_that_cuda_device = true;
  const UploaderChoice choice = choose_image_uploader(facts);
  EXPECT_EQ(choice.kind, UploaderKind::Staging);
  EXPECT_NE(choice.reason.find("semaphore"), std::string::npos) << choice.reason;
}

TEST_F(RendererExternalMemory, BufferExportsAFreshFdEachTime) {
  if (!query_external_interop_support(context()).memory_fd_export) GTEST_SKIP() << "no memory fd export";
  ExportableBuffer buffer(context(), 4096, kSharedPixelBufferUsage);
  EXPECT_GE(buffer.allocation_size(), buffer.size());
  const int first = buffer.export_fd();
  const int second = buffer.export_fd();
  ASSERT_GE(first, 0);
  ASSERT_GE(second, 0);
  EXPECT_NE(first, second);
  EXPECT_NE(fcntl(first, F_GETFD), -1);
  close(first);
  close(second);
}

TEST_F(RendererExternalMemory, SemaphoreExportIsRefusedWhereUnsupported) {
  if (query_external_interop_support(context()).semaphore_fd_export) {
    ExportableSemaphore semaphore(context());
    const int fd = semaphore.export_fd();
    EXPECT_GE(fd, 0);
    close(fd);
    return;
  }
  EXPECT_THROW(ExportableSemaphore{context()}, std::runtime_error);
  EXPECT_THROW(ExternalMemoryImageUploader(context(), 4096, ProducerSync::TimelineSemaphore), std::runtime_error);
}

TEST_F(RendererExternalMemory, UploaderChecksItsProtocol) {
  if (!query_external_interop_support(context()).memory_fd_export) GTEST_SKIP() << "no memory fd export";
  ExternalMemoryImageUploader uploader(context(), 64 * 64 * 4, ProducerSync::WritesFinishedBeforeEndWrite);
  EXPECT_EQ(uploader.semaphore(), nullptr);
  EXPECT_THROW(uploader.end_write(), std::logic_error);
  EXPECT_THROW(uploader.begin_write(65, 64), std::length_error);
  EXPECT_THROW(uploader.begin_write(0, 64), std::invalid_argument);
  EXPECT_EQ(uploader.begin_write(32, 64), nullptr);  // device memory: the producer has its own mapping
  const PixelSource source = uploader.end_write();
  EXPECT_EQ(source.buffer, uploader.buffer().handle());
  EXPECT_EQ(source.width, 32u);
  EXPECT_EQ(source.height, 64u);
  EXPECT_EQ(source.wait.semaphore, VK_NULL_HANDLE);
}

// The whole Vulkan half: fd exported, written through the importer's alias, copied buffer → image,
// drawn: the same pixels as the staging path.
TEST_F(RendererExternalMemory, PixelsWrittenThroughTheExportedFdMatchTheStagingPath) {
  if (!query_external_interop_support(context()).memory_fd_export) GTEST_SKIP() << "no memory fd export";
  constexpr uint32_t kSize = 64;
  const std::vector<uint8_t> pattern = test_pattern(kSize, kSize);
  OffscreenTarget target(context(), {kSize, kSize});

  ImageDisplay staging_display(context(), target.render_pass());
  staging_display.set_image(pattern.data(), kSize, kSize);
  const RgbaImage staging_image = render_to_image(target, staging_display);

  ExternalMemoryImageUploader uploader(context(), VkDeviceSize{kSize} * kSize * 4,
                                       ProducerSync::WritesFinishedBeforeEndWrite);
  ImportedBufferAlias alias(context(), uploader.buffer(), uploader.buffer().export_fd());
  // The "producer": a device write into the imported alias, finished (fence) before end_write.
  GpuBuffer source(context(), pattern.size(), VK_BUFFER_USAGE_TRANSFER_SRC_BIT, BufferMemory::HostUpload);
  source.write(pattern.data(), pattern.size());
  ASSERT_EQ(uploader.begin_write(kSize, kSize), nullptr);
  context().immediate_submit([&](VkCommandBuffer cmd) {
    const VkBufferCopy region{0, 0, pattern.size()};
    vkCmdCopyBuffer(cmd, source.handle(), alias.handle(), 1, &region);
  });
  ImageDisplay interop_display(context(), target.render_pass());
  interop_display.update_from(uploader.end_write());
  const RgbaImage interop_image = render_to_image(target, interop_display);
  testing::save_test_png(interop_image, "external_memory_uploader");

  ASSERT_EQ(interop_image.width, staging_image.width);
  ASSERT_EQ(interop_image.height, staging_image.height);
  std::size_t differing = 0;
  for (uint32_t y = 0; y < kSize; ++y) {
    for (uint32_t x = 0; x < kSize; ++x) differing += interop_image.at(x, y) != staging_image.at(x, y);
  }
  EXPECT_EQ(differing, 0u);
  // And the picture is the pattern, not two equally wrong images.
  EXPECT_LE(testing::channel_distance(interop_image.at(10, 50), testing::Rgba{30, 250, 10 ^ 50, 255}), 1);
}

}  // namespace
}  // namespace shape::render
