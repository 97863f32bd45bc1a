// The staging / zero-copy decision: zero-copy only when every piece is there, with the reason named.
#include "renderer/uploader_selection.h"

#include <gtest/gtest.h>

namespace shape::render {
namespace {

InteropFacts everything_available() {
  InteropFacts facts;
  facts.vulkan_memory_fd_export = true;
  facts.vulkan_semaphore_fd_export = true;
  facts.cuda_interop_built = true;
  facts.cuda_device_matches_vulkan = true;
  facts.producer_on_that_cuda_device = true;
  return facts;
}

TEST(UploaderSelection, ZeroCopyWhenEveryPieceIsThere) {
  EXPECT_EQ(choose_image_uploader(everything_available()).kind, UploaderKind::ExternalMemory);
}

TEST(UploaderSelection, StagingWhenNothingIsKnown) {
  const UploaderChoice choice = choose_image_uploader(InteropFacts{});
  EXPECT_EQ(choice.kind, UploaderKind::Staging);
  EXPECT_EQ(choice.reason, "built without CUDA interop");
}

TEST(UploaderSelection, EachMissingPieceFallsBackToStagingAndIsNamed) {
  struct Case {
    bool InteropFacts::*piece;
    const char* named;
  };
  const Case cases[] = {
      {&InteropFacts::cuda_interop_built, "without CUDA"},
      {&InteropFacts::vulkan_memory_fd_export, "VK_KHR_external_memory_fd"},
      {&InteropFacts::vulkan_semaphore_fd_export, "VK_KHR_external_semaphore_fd"},
      {&InteropFacts::cuda_device_matches_vulkan, "UUID"},
      {&InteropFacts::producer_on_that_cuda_device, "not rendered on"},
  };
  for (const Case& c : cases) {
    InteropFacts facts = everything_available();
    facts.*c.piece = false;
    const UploaderChoice choice = choose_image_uploader(facts);
    EXPECT_EQ(choice.kind, UploaderKind::Staging) << c.named;
    EXPECT_NE(choice.reason.find(c.named), std::string::npos) << choice.reason;
  }
}

// lavapipe's case: memory export works, semaphore export does not.
TEST(UploaderSelection, MemoryWithoutSemaphoreExportIsStaging) {
  InteropFacts facts = everything_available();
  facts.vulkan_semaphore_fd_export = false;
  EXPECT_EQ(choose_image_uploader(facts).kind, UploaderKind::Staging);
}

}  // namespace
}  // namespace shape::render
