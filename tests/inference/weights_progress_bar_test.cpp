#include <gtest/gtest.h>

#include "inference/weights/progress_bar.h"

namespace shape {
namespace {

TEST(WeightsProgressBarTest, FormatsByteCountsAndDurations) {
  EXPECT_EQ(format_byte_count(0), "0 B");
  EXPECT_EQ(format_byte_count(999), "999 B");
  EXPECT_EQ(format_byte_count(1500), "1.50 KB");
  EXPECT_EQ(format_byte_count(630200000), "630.2 MB");
  EXPECT_EQ(format_byte_count(1260000000), "1.26 GB");
  EXPECT_EQ(format_byte_count(999999), "1.00 MB");
  EXPECT_EQ(format_duration(7), "0:07");
  EXPECT_EQ(format_duration(754), "12:34");
  EXPECT_EQ(format_duration(3723), "1:02:03");
  EXPECT_EQ(format_duration(-3), "0:00");
}

TEST(WeightsProgressBarTest, DrawsBarPercentSizesRateAndEta) {
  DownloadProgress progress;
  progress.file_name = "text_cond.pt";
  progress.bytes_done = 500;
  progress.bytes_total = 1000;
  progress.bytes_per_second = 100;
  EXPECT_EQ(render_progress_bar(progress, 10), "text_cond.pt [#####-----]  50%  500 B / 1.00 KB  100 B/s  ETA 0:05");

  progress.bytes_done = 1000;
  progress.phase = TransferPhase::Verifying;
  progress.bytes_per_second = 0;
  progress.file_index = 1;
  progress.file_count = 3;
  EXPECT_EQ(render_progress_bar(progress, 4), "[2/3] text_cond.pt verifying [####] 100%  1.00 KB / 1.00 KB");
}

TEST(WeightsProgressBarTest, UnknownTotalShowsBytesAndRate) {
  DownloadProgress progress;
  progress.file_name = "custom.pt";
  progress.bytes_done = 2500000;
  progress.bytes_per_second = 1250000;
  EXPECT_EQ(render_progress_bar(progress), "custom.pt  2.50 MB  1.25 MB/s");
}

}  // namespace
}  // namespace shape
