#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "inference/weights/progress_reporter.h"

namespace shape {
namespace {

using Clock = TransferRateMeter::Clock;
using std::chrono::milliseconds;

TEST(WeightsProgressReporterTest, RateFollowsTheRecentWindow) {
  TransferRateMeter meter(std::chrono::seconds(2));
  const auto start = Clock::time_point{};
  EXPECT_EQ(meter.bytes_per_second(), 0.0);
  meter.add(start, 0);
  meter.add(start + milliseconds(1000), 1000);
  EXPECT_DOUBLE_EQ(meter.bytes_per_second(), 1000.0);
  // Faster now; after the window has passed only the recent speed counts.
  for (int i = 2; i <= 6; ++i) meter.add(start + milliseconds(1000 * i), 1000 + 5000 * (i - 1));
  EXPECT_NEAR(meter.bytes_per_second(), 5000.0, 1e-9);
  // A restart (fewer bytes than before) clears the history.
  meter.add(start + milliseconds(7000), 10);
  EXPECT_EQ(meter.bytes_per_second(), 0.0);
}

TEST(WeightsProgressReporterTest, ThrottlesAndNeverGoesBackwardsWithinAPhase) {
  std::vector<DownloadProgress> reports;
  DownloadProgress base;
  base.file_name = "f.pt";
  ProgressReporter reporter([&](const DownloadProgress& p) { reports.push_back(p); }, base, std::chrono::hours(1));
  reporter.report(TransferPhase::Downloading, 10, 100);                 // first report always passes
  reporter.report(TransferPhase::Downloading, 20, 100);                 // throttled
  reporter.report(TransferPhase::Downloading, 5, 100, /*force=*/true);  // backwards: dropped
  reporter.report(TransferPhase::Downloading, 100, 100, /*force=*/true);
  reporter.restart();
  reporter.report(TransferPhase::Downloading, 0, 100, /*force=*/true);  // allowed after restart()
  reporter.report(TransferPhase::Verifying, 0, 100);                    // a new phase starts its own count
  ASSERT_EQ(reports.size(), 4u);
  EXPECT_EQ(reports[0].bytes_done, 10u);
  EXPECT_EQ(reports[1].bytes_done, 100u);
  EXPECT_EQ(reports[2].bytes_done, 0u);
  EXPECT_EQ(reports[3].phase, TransferPhase::Verifying);
  EXPECT_EQ(reports[3].file_name, "f.pt");
}

}  // namespace
}  // namespace shape
