// The load row of `shape-cli bench`: timings and resident memory of loading the golden e2e models.
#include <gtest/gtest.h>

#include <vector>

#include "golden.h"
#include "pipeline_test_support.h"
#include "inference/load_benchmark.h"
#include "inference/resident_memory.h"

namespace shape {
namespace {

using testing::golden_path;

TEST(ResidentMemory, PeakFollowsAnAllocationAndResets) {
  ASSERT_GT(current_resident_bytes(), 0);
  if (!reset_peak_resident()) GTEST_SKIP() << "the kernel does not reset the peak (/proc/self/clear_refs)";
  const int64_t before = peak_resident_bytes();
  {
    std::vector<char> touched(size_t{64} << 20, 1);  // 64 MiB, every page written
    ASSERT_GE(peak_resident_bytes(), before + (int64_t{48} << 20));
  }
  ASSERT_TRUE(reset_peak_resident());
  EXPECT_LT(peak_resident_bytes(), before + (int64_t{48} << 20));
}

TEST(LoadBenchmark, TimesAndMeasuresTheGoldenModels) {
  LoadBenchmarkOptions options;
  options.generator = testing::golden_generator_files("text");
  options.decoder_config = golden_path("e2e.decoder.yaml");
  options.decoder_weights = golden_path("loader/decoder.state_dict.pt");
  const LoadBenchmarkResult result = benchmark_loading(options);
  EXPECT_GT(result.generator.wall_seconds, 0.0);
  EXPECT_GT(result.decoder.wall_seconds, 0.0);
  EXPECT_GE(result.total.wall_seconds, result.generator.wall_seconds + result.decoder.wall_seconds);
  EXPECT_GE(result.total.cpu_seconds, 0.0);
  EXPECT_GT(result.resident_before_bytes, 0);
  EXPECT_GE(result.peak_resident_bytes, result.resident_after_bytes);
  EXPECT_GE(result.peak_extra_bytes(), result.models_resident_bytes());
}

TEST(LoadBenchmark, MissingFilesThrowNamingThem) {
  LoadBenchmarkOptions options;
  options.generator = testing::golden_generator_files("text");
  options.generator.transformer_weights = "/nonexistent/text_cond.pt";
  options.decoder_config = golden_path("e2e.decoder.yaml");
  options.decoder_weights = golden_path("loader/decoder.state_dict.pt");
  try {
    benchmark_loading(options);
    FAIL() << "expected an error";
  } catch (const std::exception& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/text_cond.pt"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace shape
