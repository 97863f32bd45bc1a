// WeightsStore: lookup order (--weights-dir, then cache), verification stamps, the status query
// for the Models panel and ensure_available's downloads and "what is missing" errors.
#include "inference/weights/weights_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "inference/weights/sha256.h"
#include "inference/weights/verification_stamp.h"
#include "tests/inference/loopback_http_server.h"
#include "tests/inference/weights_test_util.h"

namespace shape {
namespace {

using testing::LoopbackHttpServer;
using testing::ResponsePlan;
using testing::ScratchDirectory;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class WeightsStoreTest : public ::testing::Test {
 protected:
  WeightsStoreTest() {
    std::filesystem::create_directories(weights_dir());
    for (const char* name : {"alpha", "beta", "gamma"}) {
      const std::string body =
          testing::test_payload(64 * 1024 + files_.size(), static_cast<std::uint32_t>(files_.size() + 7));
      const std::string filename = std::string(name) + ".pt";
      server_.serve("/" + filename, body);
      bodies_.push_back(body);
      files_.push_back(make_custom_weights_file(name, server_.url("/" + filename), sha256_hex(body), filename));
    }
  }

  std::filesystem::path cache_dir() const { return scratch_.path() / "cache"; }
  std::filesystem::path weights_dir() const { return scratch_.path() / "hand-downloaded"; }
  WeightsStore store(bool with_weights_dir = true) const {
    WeightsLocations locations;
    locations.cache_directory = cache_dir();
    if (with_weights_dir) locations.weights_directory = weights_dir();
    return WeightsStore(locations);
  }
  // The same entry, pointing at a port where nothing listens.
  WeightsFile unreachable(WeightsFile file) const {
    file.url = "http://127.0.0.1:" + std::to_string(closed_port_) + "/" + file.filename;
    return file;
  }

  ScratchDirectory scratch_;
  LoopbackHttpServer server_;
  std::uint16_t closed_port_ = LoopbackHttpServer::unused_port();
  std::vector<WeightsFile> files_;
  std::vector<std::string> bodies_;
  DownloadOptions options_ = testing::fast_download_options();
};

TEST_F(WeightsStoreTest, DownloadsMissingFilesIntoTheCacheAndStampsThem) {
  const auto paths = store().ensure_available(files_, FetchPolicy::DownloadMissing, options_);
  ASSERT_EQ(paths.size(), files_.size());
  for (std::size_t i = 0; i < files_.size(); ++i) {
    EXPECT_EQ(paths[i], cache_dir() / files_[i].filename);
    EXPECT_EQ(testing::read_file(paths[i]), bodies_[i]);
    const auto status = store().status(files_[i]);
    EXPECT_EQ(status.state, WeightsFileState::Verified) << "a download leaves a stamp: no hashing at the next start";
    EXPECT_EQ(status.location, WeightsLocation::Cache);
    EXPECT_EQ(status.size_bytes, bodies_[i].size());
  }
  // Everything is there now: no new requests.
  const auto requests_before = server_.requests().size();
  store().ensure_available(files_, FetchPolicy::DownloadMissing, options_);
  EXPECT_EQ(server_.requests().size(), requests_before);
}

TEST_F(WeightsStoreTest, FileInTheWeightsFolderIsFoundVerifiedAndNotDownloaded) {
  testing::write_file(weights_dir() / files_[0].filename, bodies_[0]);
  EXPECT_EQ(store().status(files_[0]).state, WeightsFileState::Unverified);
  EXPECT_EQ(store().status(files_[0]).location, WeightsLocation::WeightsDirectory);

  const auto path = store().ensure_available(unreachable(files_[0]), FetchPolicy::DownloadMissing, options_);
  EXPECT_EQ(path, weights_dir() / files_[0].filename);
  const auto status = store().status(files_[0]);
  EXPECT_EQ(status.state, WeightsFileState::Verified);
  EXPECT_EQ(status.path, path);
  EXPECT_EQ(status.actual_sha256, files_[0].sha256);
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(WeightsStoreTest, WeightsFolderIsSearchedBeforeTheCache) {
  testing::write_file(weights_dir() / files_[0].filename, bodies_[0]);
  std::filesystem::create_directories(cache_dir());
  testing::write_file(cache_dir() / files_[0].filename, bodies_[0]);
  EXPECT_EQ(store().ensure_available(files_[0], FetchPolicy::LocalOnly, options_), weights_dir() / files_[0].filename);
  EXPECT_EQ(store(false).ensure_available(files_[0], FetchPolicy::LocalOnly, options_),
            cache_dir() / files_[0].filename);
}

TEST_F(WeightsStoreTest, StampAvoidsRehashingUntilTheFileChanges) {
  const auto path = weights_dir() / files_[0].filename;
  testing::write_file(path, bodies_[0]);
  EXPECT_EQ(store().verify(files_[0], options_).state, WeightsFileState::Verified);
  EXPECT_TRUE(std::filesystem::exists(VerificationStamps::beside_stamp_path(path)));

  // Same size, same mtime, different bytes: only a stamp lookup can still call it verified.
  const auto mtime = std::filesystem::last_write_time(path);
  std::string tampered = bodies_[0];
  tampered[100] = static_cast<char>(tampered[100] ^ 0x55);
  testing::write_file(path, tampered);
  std::filesystem::last_write_time(path, mtime);
  EXPECT_EQ(store().verify(files_[0], options_).state, WeightsFileState::Verified);

  // A new mtime invalidates the stamp: the file is hashed again and rejected.
  std::filesystem::last_write_time(path, mtime + std::chrono::seconds(5));
  EXPECT_EQ(store().status(files_[0]).state, WeightsFileState::Unverified);
  EXPECT_EQ(store().verify(files_[0], options_).state, WeightsFileState::WrongHash);
  // ...and that result is stamped as well.
  EXPECT_EQ(store().status(files_[0]).state, WeightsFileState::WrongHash);

  // A different size invalidates it too.
  testing::write_file(path, bodies_[0] + "x");
  std::filesystem::last_write_time(path, mtime + std::chrono::seconds(5));
  EXPECT_EQ(store().status(files_[0]).state, WeightsFileState::Unverified);
}

TEST_F(WeightsStoreTest, StatusDescribesEveryState) {
  testing::write_file(weights_dir() / files_[0].filename, bodies_[0]);  // unverified, then verified
  testing::write_file(weights_dir() / files_[1].filename, bodies_[0]);  // wrong bytes
  WeightsFile unchecked = files_[2];
  unchecked.sha256.clear();
  WeightsFile missing = make_custom_weights_file("delta", server_.url("/delta.pt"), "", "delta.pt");
  testing::write_file(weights_dir() / unchecked.filename, "anything");

  const WeightsStore weights = store();
  weights.verify(files_[0], options_);
  weights.verify(files_[1], options_);
  const auto statuses = weights.status({files_[0], files_[1], unchecked, missing});
  ASSERT_EQ(statuses.size(), 4u);
  EXPECT_EQ(statuses[0].state, WeightsFileState::Verified);
  EXPECT_EQ(statuses[0].size_bytes, bodies_[0].size());
  EXPECT_EQ(statuses[1].state, WeightsFileState::WrongHash);
  EXPECT_EQ(statuses[1].actual_sha256, sha256_hex(bodies_[0]));
  EXPECT_EQ(statuses[2].state, WeightsFileState::Unchecked);
  EXPECT_EQ(statuses[3].state, WeightsFileState::Missing);
  EXPECT_EQ(statuses[3].location, WeightsLocation::None);
  EXPECT_EQ(statuses[3].path, cache_dir() / "delta.pt") << "a missing file shows where it will go";
  EXPECT_EQ(statuses[3].size_bytes, 0u);
}

TEST_F(WeightsStoreTest, StatusReportsAPartialDownload) {
  std::filesystem::create_directories(cache_dir());
  testing::write_file(partial_download_path(cache_dir() / files_[0].filename), std::string(1234, 'x'));
  const auto status = store().status(files_[0]);
  EXPECT_EQ(status.state, WeightsFileState::Missing);
  EXPECT_EQ(status.partial_bytes, 1234u);
}

TEST_F(WeightsStoreTest, WrongHashInTheWeightsFolderIsReplacedByADownloadIntoTheCache) {
  testing::write_file(weights_dir() / files_[0].filename, "not the model");
  const auto path = store().ensure_available(files_[0], FetchPolicy::DownloadMissing, options_);
  EXPECT_EQ(path, cache_dir() / files_[0].filename);
  EXPECT_EQ(testing::read_file(path), bodies_[0]);
  EXPECT_EQ(store().status(files_[0]).state, WeightsFileState::Verified);
}

TEST_F(WeightsStoreTest, OfflineErrorNamesEveryMissingFileItsUrlAndWhereToPutIt) {
  std::vector<WeightsFile> offline;
  for (const auto& file : files_) offline.push_back(unreachable(file));
  const auto started = std::chrono::steady_clock::now();
  try {
    store().ensure_available(offline, FetchPolicy::DownloadMissing, options_);
    FAIL() << "nothing can be downloaded";
  } catch (const WeightsUnavailable& error) {
    EXPECT_TRUE(error.offline());
    ASSERT_EQ(error.missing().size(), offline.size());
    const std::string message = error.what();
    EXPECT_TRUE(contains(message, "offline")) << message;
    EXPECT_TRUE(contains(message, weights_dir().string())) << message;
    for (std::size_t i = 0; i < offline.size(); ++i) {
      const auto& entry = error.missing()[i];
      EXPECT_EQ(entry.file.name, offline[i].name);
      EXPECT_EQ(entry.destination, cache_dir() / offline[i].filename);
      EXPECT_EQ(entry.failure, DownloadFailure::Unreachable);
      EXPECT_TRUE(contains(message, offline[i].name)) << message;
      EXPECT_TRUE(contains(message, offline[i].url)) << message;
      EXPECT_TRUE(contains(message, (cache_dir() / offline[i].filename).string())) << message;
    }
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST_F(WeightsStoreTest, NotFoundErrorNamesTheFileUrlAndDestination) {
  server_.serve("/beta.pt", bodies_[1], ResponsePlan::failing_with(404));
  try {
    store().ensure_available(files_, FetchPolicy::DownloadMissing, options_);
    FAIL() << "beta cannot be downloaded";
  } catch (const WeightsUnavailable& error) {
    EXPECT_FALSE(error.offline());
    ASSERT_EQ(error.missing().size(), 1u) << "the other files were still downloaded";
    EXPECT_EQ(error.missing()[0].failure, DownloadFailure::HttpStatus);
    const std::string message = error.what();
    EXPECT_TRUE(contains(message, "beta.pt")) << message;
    EXPECT_TRUE(contains(message, files_[1].url)) << message;
    EXPECT_TRUE(contains(message, (cache_dir() / "beta.pt").string())) << message;
    EXPECT_TRUE(contains(message, "404")) << message;
  }
  EXPECT_TRUE(std::filesystem::exists(cache_dir() / files_[0].filename));
  EXPECT_TRUE(std::filesystem::exists(cache_dir() / files_[2].filename));
}

TEST_F(WeightsStoreTest, UnwritableCacheFolderIsAClearError) {
  // A regular file where a folder should be: fails even for root, unlike permission bits.
  testing::write_file(scratch_.path() / "blocker", "");
  WeightsLocations locations;
  locations.cache_directory = scratch_.path() / "blocker" / "cache";
  try {
    WeightsStore(locations).ensure_available(files_[0], FetchPolicy::DownloadMissing, options_);
    FAIL() << "the cache folder cannot be created";
  } catch (const WeightsUnavailable& error) {
    ASSERT_EQ(error.missing().size(), 1u);
    EXPECT_EQ(error.missing()[0].failure, DownloadFailure::FileSystem);
    const std::string message = error.what();
    EXPECT_TRUE(contains(message, (scratch_.path() / "blocker" / "cache").string())) << message;
    EXPECT_TRUE(contains(message, "Not a directory")) << message;
  }
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(WeightsStoreTest, LocalOnlyNeverDownloads) {
  try {
    store().ensure_available(files_[0], FetchPolicy::LocalOnly, options_);
    FAIL();
  } catch (const WeightsUnavailable& error) {
    ASSERT_EQ(error.missing().size(), 1u);
    EXPECT_FALSE(error.missing()[0].failure.has_value());
    EXPECT_TRUE(contains(error.what(), files_[0].url));
  }
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(WeightsStoreTest, CopiesWithTheWrongHashAreNamedInTheError) {
  const auto path = weights_dir() / files_[0].filename;
  testing::write_file(path, "not the model");
  try {
    store().ensure_available(files_[0], FetchPolicy::LocalOnly, options_);
    FAIL();
  } catch (const WeightsUnavailable& error) {
    ASSERT_EQ(error.missing().size(), 1u);
    ASSERT_EQ(error.missing()[0].rejected_copies.size(), 1u);
    EXPECT_EQ(error.missing()[0].rejected_copies[0].path, path);
    const std::string message = error.what();
    EXPECT_TRUE(contains(message, "ignored: " + path.string())) << message;
    EXPECT_TRUE(contains(message, sha256_hex("not the model"))) << message;
  }
}

TEST_F(WeightsStoreTest, ReadOnlyWeightsFolderKeepsItsStampsInTheCache) {
  // Simulated with a stamp path that cannot be created: a folder in the way of the stamp file.
  const auto path = weights_dir() / files_[0].filename;
  testing::write_file(path, bodies_[0]);
  std::filesystem::create_directories(VerificationStamps::beside_stamp_path(path));
  std::filesystem::create_directories(cache_dir());
  EXPECT_EQ(store().verify(files_[0], options_).state, WeightsFileState::Verified);
  const VerificationStamps stamps(cache_dir());
  EXPECT_TRUE(std::filesystem::exists(stamps.fallback_stamp_path(path)));
  EXPECT_EQ(store().status(files_[0]).state, WeightsFileState::Verified);
}

TEST_F(WeightsStoreTest, CancelWhileDownloadingPropagates) {
  server_.serve("/alpha.pt", bodies_[0], ResponsePlan::in_chunks(2 * 1024, std::chrono::milliseconds(20)));
  std::atomic<bool> cancel{false};
  options_.cancel = &cancel;
  options_.on_progress = [&](const DownloadProgress& progress) {
    if (progress.bytes_done > 8 * 1024) cancel = true;
  };
  EXPECT_THROW(store().ensure_available(files_, FetchPolicy::DownloadMissing, options_), DownloadCancelled);
  EXPECT_TRUE(std::filesystem::exists(partial_download_path(cache_dir() / files_[0].filename)));
  EXPECT_FALSE(std::filesystem::exists(cache_dir() / files_[1].filename)) << "nothing after a cancel";
}

TEST_F(WeightsStoreTest, ProgressNamesEachFileOfTheBatch) {
  std::vector<DownloadProgress> reports;
  options_.on_progress = [&](const DownloadProgress& progress) { reports.push_back(progress); };
  store().ensure_available(files_, FetchPolicy::DownloadMissing, options_);
  ASSERT_FALSE(reports.empty());
  for (std::size_t i = 0; i < files_.size(); ++i) {
    const bool reported = std::any_of(reports.begin(), reports.end(), [&](const DownloadProgress& progress) {
      return progress.file_index == i && progress.file_count == files_.size() &&
             progress.file_name == files_[i].filename && progress.bytes_done == bodies_[i].size();
    });
    EXPECT_TRUE(reported) << files_[i].filename;
  }
}

}  // namespace
}  // namespace shape
