// download_file against the loopback server: fresh downloads, resumption, misbehaving servers,
// verification, cancellation and progress reports.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "inference/weights/downloader.h"
#include "inference/weights/sha256.h"
#include "inference/weights/verification_stamp.h"
#include "tests/inference/loopback_http_server.h"
#include "tests/inference/weights_test_util.h"

namespace shape {
namespace {

using testing::LoopbackHttpServer;
using testing::ResponsePlan;
using testing::ScratchDirectory;

constexpr std::size_t kPayloadSize = 300 * 1024;

class WeightsDownloadTest : public ::testing::Test {
 protected:
  WeightsDownloadTest() : payload_(testing::test_payload(kPayloadSize)) { server_.serve("/model.pt", payload_); }

  DownloadRequest request() const {
    DownloadRequest request;
    request.url = server_.url("/model.pt");
    request.destination = destination();
    request.sha256 = sha256_hex(payload_);
    return request;
  }
  std::filesystem::path destination() const { return scratch_.path() / "model.pt"; }
  std::filesystem::path part() const { return partial_download_path(destination()); }

  ScratchDirectory scratch_;
  LoopbackHttpServer server_;
  std::string payload_;
  DownloadOptions options_ = testing::fast_download_options();
};

TEST_F(WeightsDownloadTest, FreshDownloadIsVerifiedAndRenamedIntoPlace) {
  const DownloadResult result = download_file(request(), options_);
  EXPECT_EQ(result.path, destination());
  EXPECT_EQ(result.size_bytes, kPayloadSize);
  EXPECT_EQ(result.sha256, sha256_hex(payload_));
  EXPECT_EQ(result.http_requests, 1);
  EXPECT_FALSE(result.resumed);
  EXPECT_EQ(testing::read_file(destination()), payload_);
  EXPECT_FALSE(std::filesystem::exists(part()));
  ASSERT_EQ(server_.requests().size(), 1u);
  EXPECT_EQ(server_.requests()[0].range, "");
}

TEST_F(WeightsDownloadTest, ProgressIsMonotonicAndEndsAtTheTotal) {
  server_.serve("/model.pt", payload_, ResponsePlan::in_chunks(8 * 1024));
  std::vector<DownloadProgress> reports;
  options_.on_progress = [&](const DownloadProgress& progress) { reports.push_back(progress); };
  download_file(request(), options_);

  std::vector<DownloadProgress> downloading, verifying;
  for (const auto& report : reports) {
    (report.phase == TransferPhase::Downloading ? downloading : verifying).push_back(report);
    EXPECT_EQ(report.file_name, "model.pt");
  }
  ASSERT_GE(downloading.size(), 2u);
  for (std::size_t i = 1; i < downloading.size(); ++i) {
    EXPECT_GE(downloading[i].bytes_done, downloading[i - 1].bytes_done);
  }
  EXPECT_EQ(downloading.back().bytes_done, kPayloadSize);
  EXPECT_EQ(downloading.back().bytes_total, kPayloadSize);
  ASSERT_FALSE(verifying.empty());
  EXPECT_EQ(verifying.back().bytes_done, kPayloadSize);
  EXPECT_EQ(verifying.back().bytes_total, kPayloadSize);
  // Verification comes after the download.
  EXPECT_EQ(reports.back().phase, TransferPhase::Verifying);
}

TEST_F(WeightsDownloadTest, InterruptedTransferIsKeptAndResumedWithRange) {
  constexpr std::size_t kCut = 100 * 1024;
  server_.plan_next_responses("/model.pt", {ResponsePlan::cutting_after(kCut)});
  options_.max_resume_attempts = 0;
  try {
    download_file(request(), options_);
    FAIL() << "a cut connection must fail when no resumption is allowed";
  } catch (const DownloadError& error) {
    EXPECT_EQ(error.failure(), DownloadFailure::Interrupted);
    EXPECT_NE(std::string(error.what()).find(part().string()), std::string::npos) << error.what();
  }
  EXPECT_FALSE(std::filesystem::exists(destination()));
  ASSERT_TRUE(std::filesystem::exists(part()));
  EXPECT_EQ(std::filesystem::file_size(part()), kCut);

  const DownloadResult result = download_file(request(), options_);
  EXPECT_TRUE(result.resumed);
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].range, "bytes=" + std::to_string(kCut) + "-");
  EXPECT_EQ(testing::read_file(destination()), payload_);
  EXPECT_FALSE(std::filesystem::exists(part()));
}

TEST_F(WeightsDownloadTest, InterruptedTransferResumesAutomatically) {
  server_.plan_next_responses("/model.pt",
                              {ResponsePlan::cutting_after(50 * 1024), ResponsePlan::cutting_after(70 * 1024)});
  const DownloadResult result = download_file(request(), options_);
  EXPECT_EQ(result.http_requests, 3);
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].range, "bytes=51200-");
  EXPECT_EQ(requests[2].range, "bytes=122880-");
  EXPECT_EQ(testing::read_file(destination()), payload_);
}

TEST_F(WeightsDownloadTest, ServerIgnoringRangeMakesTheDownloadStartOverCleanly) {
  // A .part whose bytes do not match the file: appending the full body to it would corrupt it.
  testing::write_file(part(), std::string(40 * 1024, 'x'));
  server_.serve("/model.pt", payload_, ResponsePlan::ignoring_range());
  const DownloadResult result = download_file(request(), options_);
  EXPECT_FALSE(result.resumed);
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].range, "bytes=40960-");
  EXPECT_EQ(testing::read_file(destination()), payload_);
}

TEST_F(WeightsDownloadTest, WrongHashFailsClearlyAndLeavesNothing) {
  server_.serve("/model.pt", testing::test_payload(kPayloadSize, /*seed=*/2));
  try {
    download_file(request(), options_);
    FAIL() << "a file with the wrong hash must be rejected";
  } catch (const DownloadError& error) {
    EXPECT_EQ(error.failure(), DownloadFailure::HashMismatch);
    const std::string message = error.what();
    EXPECT_NE(message.find(sha256_hex(payload_)), std::string::npos) << message;
    EXPECT_NE(message.find("SHA-256"), std::string::npos) << message;
    EXPECT_NE(message.find(server_.url("/model.pt")), std::string::npos) << message;
    EXPECT_NE(message.find(destination().string()), std::string::npos) << message;
  }
  EXPECT_FALSE(std::filesystem::exists(destination()));
  EXPECT_FALSE(std::filesystem::exists(part()));
  EXPECT_EQ(server_.requests().size(), 2u) << "a failed check is retried once from zero";
}

TEST_F(WeightsDownloadTest, CorruptPartialFileIsDiscardedAndRetriedFromZero) {
  testing::write_file(part(), std::string(100 * 1024, 'x'));  // right length, wrong bytes
  const DownloadResult result = download_file(request(), options_);
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].range, "bytes=102400-");
  EXPECT_EQ(requests[1].range, "");
  EXPECT_EQ(testing::read_file(destination()), payload_);
  EXPECT_FALSE(result.resumed);
}

TEST_F(WeightsDownloadTest, PartialFileLongerThanTheServersIsDiscarded) {
  testing::write_file(part(), std::string(kPayloadSize + 10, 'x'));
  download_file(request(), options_);
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].range, "bytes=" + std::to_string(kPayloadSize + 10) + "-");  // answered 416
  EXPECT_EQ(requests[1].range, "");
  EXPECT_EQ(testing::read_file(destination()), payload_);
}

TEST_F(WeightsDownloadTest, PartialFileLongerThanTheExpectedSizeIsDiscardedWithoutAsking) {
  testing::write_file(part(), std::string(kPayloadSize + 10, 'x'));
  DownloadRequest sized = request();
  sized.expected_size = kPayloadSize;
  download_file(sized, options_);
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].range, "");
  EXPECT_EQ(testing::read_file(destination()), payload_);
}

TEST_F(WeightsDownloadTest, CompletePartialFileIsVerifiedAndInstalled) {
  testing::write_file(part(), payload_);  // e.g. cancelled while verifying
  download_file(request(), options_);
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].range, "bytes=" + std::to_string(kPayloadSize) + "-");  // 416 with the size
  EXPECT_EQ(testing::read_file(destination()), payload_);
}

TEST_F(WeightsDownloadTest, HttpErrorNamesTheStatusFileUrlAndDestination) {
  for (int status : {404, 500}) {
    server_.serve("/model.pt", payload_, ResponsePlan::failing_with(status));
    try {
      download_file(request(), options_);
      FAIL() << "HTTP " << status << " must fail";
    } catch (const DownloadError& error) {
      EXPECT_EQ(error.failure(), DownloadFailure::HttpStatus);
      EXPECT_EQ(error.http_status(), status);
      EXPECT_EQ(error.url(), server_.url("/model.pt"));
      EXPECT_EQ(error.destination(), destination());
      const std::string message = error.what();
      EXPECT_NE(message.find("HTTP " + std::to_string(status)), std::string::npos) << message;
      EXPECT_NE(message.find("model.pt"), std::string::npos) << message;
      EXPECT_NE(message.find(server_.url("/model.pt")), std::string::npos) << message;
      EXPECT_NE(message.find(destination().string()), std::string::npos) << message;
    }
    EXPECT_FALSE(std::filesystem::exists(destination()));
    EXPECT_FALSE(std::filesystem::exists(part())) << "an empty .part is not left behind";
  }
}

TEST_F(WeightsDownloadTest, ClosedPortIsReportedAsUnreachable) {
  DownloadRequest unreachable = request();
  unreachable.url = "http://127.0.0.1:" + std::to_string(LoopbackHttpServer::unused_port()) + "/model.pt";
  const auto started = std::chrono::steady_clock::now();
  try {
    download_file(unreachable, options_);
    FAIL() << "a closed port must fail";
  } catch (const DownloadError& error) {
    EXPECT_EQ(error.failure(), DownloadFailure::Unreachable);
    EXPECT_NE(std::string(error.what()).find(unreachable.url), std::string::npos) << error.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_FALSE(std::filesystem::exists(part()));
}

TEST_F(WeightsDownloadTest, StalledServerTimesOutAndKeepsThePartialFile) {
  server_.serve("/model.pt", payload_, ResponsePlan::stalling_after(64 * 1024));
  options_.max_resume_attempts = 0;
  const auto started = std::chrono::steady_clock::now();
  try {
    download_file(request(), options_);
    FAIL() << "a stalled transfer must time out";
  } catch (const DownloadError& error) {
    EXPECT_EQ(error.failure(), DownloadFailure::Interrupted);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  EXPECT_EQ(std::filesystem::file_size(part()), 64u * 1024);
}

TEST_F(WeightsDownloadTest, CancelKeepsThePartialFileForALaterResume) {
  server_.serve("/model.pt", payload_, ResponsePlan::in_chunks(4 * 1024, std::chrono::milliseconds(20)));
  std::atomic<bool> cancel{false};
  options_.cancel = &cancel;
  options_.on_progress = [&](const DownloadProgress& progress) {
    if (progress.bytes_done >= 32 * 1024) cancel = true;
  };
  std::filesystem::path kept;
  try {
    download_file(request(), options_);
    FAIL() << "the download must stop when cancelled";
  } catch (const DownloadCancelled& cancelled) {
    kept = cancelled.partial_file();
  }
  EXPECT_EQ(kept, part());
  EXPECT_FALSE(std::filesystem::exists(destination()));
  ASSERT_TRUE(std::filesystem::exists(part()));
  const auto kept_bytes = std::filesystem::file_size(part());
  EXPECT_GE(kept_bytes, 32u * 1024);
  EXPECT_LT(kept_bytes, kPayloadSize);

  server_.serve("/model.pt", payload_);
  cancel = false;
  options_.on_progress = nullptr;
  const DownloadResult result = download_file(request(), options_);
  EXPECT_TRUE(result.resumed);
  EXPECT_EQ(server_.requests().back().range, "bytes=" + std::to_string(kept_bytes) + "-");
  EXPECT_EQ(testing::read_file(destination()), payload_);
}

TEST_F(WeightsDownloadTest, CancelBeforeStartingMakesNoRequest) {
  std::atomic<bool> cancel{true};
  options_.cancel = &cancel;
  EXPECT_THROW(download_file(request(), options_), DownloadCancelled);
  EXPECT_TRUE(server_.requests().empty());
  EXPECT_FALSE(std::filesystem::exists(part()));
}

TEST_F(WeightsDownloadTest, SecondDownloaderOfTheSameFileIsToldItIsBusy) {
  testing::write_file(part(), "");
  const int holder = ::open(part().c_str(), O_RDWR);
  ASSERT_GE(holder, 0);
  ASSERT_EQ(::flock(holder, LOCK_EX | LOCK_NB), 0);
  try {
    download_file(request(), options_);
    FAIL() << "a locked .part must not be written";
  } catch (const DownloadError& error) {
    EXPECT_EQ(error.failure(), DownloadFailure::Busy);
  }
  ::close(holder);
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(WeightsDownloadTest, FileWithoutExpectedHashIsAcceptedWhenComplete) {
  DownloadRequest unchecked = request();
  unchecked.sha256.clear();
  const DownloadResult result = download_file(unchecked, options_);
  EXPECT_EQ(result.sha256, sha256_hex(payload_));  // still reported, e.g. for a stamp
  EXPECT_EQ(testing::read_file(destination()), payload_);
}

TEST_F(WeightsDownloadTest, MissingUrlIsAnErrorNamingTheDestination) {
  DownloadRequest no_url = request();
  no_url.url.clear();
  try {
    download_file(no_url, options_);
    FAIL();
  } catch (const DownloadError& error) {
    EXPECT_EQ(error.failure(), DownloadFailure::NoUrl);
    EXPECT_NE(std::string(error.what()).find(destination().string()), std::string::npos);
  }
}

TEST_F(WeightsDownloadTest, MissingDestinationFolderIsAFileSystemError) {
  DownloadRequest nowhere = request();
  nowhere.destination = scratch_.path() / "no-such-folder" / "model.pt";
  try {
    download_file(nowhere, options_);
    FAIL();
  } catch (const DownloadError& error) {
    EXPECT_EQ(error.failure(), DownloadFailure::FileSystem);
    EXPECT_NE(std::string(error.what()).find("no-such-folder"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace shape
