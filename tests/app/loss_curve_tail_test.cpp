// The Training panel's loss.csv follower: incremental reads, partial lines, rewritten files, and the
// messages for missing or malformed logs.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "gui/loss_curve_tail.h"

namespace shape::studio {
namespace {

namespace fs = std::filesystem;

class LossCurveTailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("shape_loss_tail_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    tail_.follow(loss_file_of(dir_));
  }
  void TearDown() override { fs::remove_all(dir_); }
  void append(const std::string& text) { std::ofstream(dir_ / "loss.csv", std::ios::binary | std::ios::app) << text; }
  // Each poll is a second after the last, past the rate limit.
  bool poll() { return tail_.poll(now_ += 1.0); }

  fs::path dir_;
  LossCurveTail tail_;
  double now_ = 0.0;
};

TEST_F(LossCurveTailTest, MissingFileSaysSoAndIsPickedUpWhenItAppears) {
  EXPECT_FALSE(poll());
  EXPECT_NE(tail_.message().find("no loss.csv in"), std::string::npos) << tail_.message();
  EXPECT_FALSE(tail_.message_is_error());
  append("step,seconds,loss,lr\n1,0.5,2.0,0.001\n");
  EXPECT_TRUE(poll());
  ASSERT_EQ(tail_.columns(), (std::vector<std::string>{"step", "seconds", "loss", "lr"}));
  EXPECT_EQ(tail_.rows(), 1u);
  EXPECT_FLOAT_EQ(tail_.values(2)[0], 2.0f);
  EXPECT_TRUE(tail_.message().empty()) << tail_.message();
}

TEST_F(LossCurveTailTest, ReadsOnlyAppendedRowsAndCompletesPartialLines) {
  append("step,seconds,loss\n1,0.1,3.0\n2,0.2,2.");
  EXPECT_TRUE(poll());
  EXPECT_EQ(tail_.rows(), 1u);  // the second row is not complete yet
  append("5\n3,0.3,2.25\n");
  EXPECT_TRUE(poll());
  ASSERT_EQ(tail_.rows(), 3u);
  EXPECT_FLOAT_EQ(tail_.values(2)[1], 2.5f);
  EXPECT_FLOAT_EQ(tail_.values(0)[2], 3.0f);
  EXPECT_FALSE(poll());  // nothing new
}

TEST_F(LossCurveTailTest, PollsAtMostTwiceASecond) {
  append("step,seconds,loss\n1,0.1,3.0\n");
  EXPECT_TRUE(tail_.poll(10.0));
  append("2,0.2,2.0\n");
  EXPECT_FALSE(tail_.poll(10.2));
  EXPECT_EQ(tail_.rows(), 1u);
  EXPECT_TRUE(tail_.poll(10.6));
  EXPECT_EQ(tail_.rows(), 2u);
}

TEST_F(LossCurveTailTest, BigBacklogIsReadInBoundedChunks) {
  std::string text = "step,seconds,loss,sdf_loss\n";
  size_t rows = 0;
  while (text.size() < 3 * LossCurveTail::kMaxBytesPerPoll) {
    text += std::to_string(rows) + "," + std::to_string(rows * 0.25) + ",1.5,0.75\n";
    ++rows;
  }
  append(text);
  EXPECT_TRUE(poll());
  EXPECT_GT(tail_.rows(), 0u);
  EXPECT_LT(tail_.rows(), rows);
  for (int i = 0; i < 5; ++i) poll();
  EXPECT_EQ(tail_.rows(), rows);
  EXPECT_TRUE(tail_.message().empty()) << tail_.message();
}

TEST_F(LossCurveTailTest, MalformedRowsAreSkippedAndReported) {
  append("step,seconds,loss\n1,0.1,3.0\n2,0.2\n3,abc,1.0\n4,0.4,1.5\n");
  poll();
  EXPECT_EQ(tail_.rows(), 2u);
  EXPECT_TRUE(tail_.message_is_error());
  EXPECT_NE(tail_.message().find("skipped 2 malformed rows"), std::string::npos) << tail_.message();
  EXPECT_NE(tail_.message().find("line 3: 2 values for 3 columns"), std::string::npos) << tail_.message();
}

TEST_F(LossCurveTailTest, AFileThatIsNotALossLogIsNamed) {
  append("hello world\n1,2,3\n");
  poll();
  EXPECT_EQ(tail_.rows(), 0u);
  EXPECT_TRUE(tail_.message_is_error());
  EXPECT_NE(tail_.message().find("header must start with step,seconds"), std::string::npos) << tail_.message();
  // Fixed by a new run writing the file again.
  std::ofstream(dir_ / "loss.csv", std::ios::binary | std::ios::trunc) << "step,seconds,loss\n1,0.1,3.0\n";
  EXPECT_TRUE(poll());
  EXPECT_EQ(tail_.rows(), 1u);
}

TEST_F(LossCurveTailTest, ARewrittenShorterFileIsReadAgainFromItsStart) {
  append("step,seconds,loss\n1,0.1,3.0\n2,0.2,2.0\n3,0.3,1.0\n");
  poll();
  EXPECT_EQ(tail_.rows(), 3u);
  std::ofstream(dir_ / "loss.csv", std::ios::binary | std::ios::trunc) << "step,seconds,loss,lr\n1,0.1,9.0,0.1\n";
  poll();
  EXPECT_EQ(tail_.rows(), 1u);
  EXPECT_EQ(tail_.columns().size(), 4u);
  EXPECT_FLOAT_EQ(tail_.values(2)[0], 9.0f);
}

TEST(LossFileOf, TakesARunFolderOrTheCsvItself) {
  EXPECT_EQ(loss_file_of("runs/a"), fs::path("runs/a/loss.csv"));
  EXPECT_EQ(loss_file_of("runs/a/other.csv"), fs::path("runs/a/other.csv"));
}

}  // namespace
}  // namespace shape::studio
