// The Models panel's logic without network: status rows from an empty cache, and a background
// download against an unreachable server that ends in an error message (not a hang).
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "gui/model_downloads.h"
#include "inference/weights/weights_catalog.h"

namespace shape::studio {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("shape_models_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(ModelDownloads, OfficialFilesPerMode) {
  const auto text = official_model_weights(ConditioningMode::kText);
  ASSERT_EQ(text.size(), 3u);
  EXPECT_EQ(text[0].name, "text300M");
  EXPECT_EQ(text[1].name, "transmitter");
  EXPECT_EQ(text[2].name, "ViT-L/14");
  const auto image = official_model_weights(ConditioningMode::kImage);
  ASSERT_EQ(image.size(), 3u);
  EXPECT_EQ(image[0].name, "image300M");
}

TEST(ModelDownloads, EmptyCacheRowsSayMissingWithTheUrl) {
  const fs::path cache = temp_dir("empty");
  WeightsLocations locations;
  locations.cache_directory = cache;
  const WeightsStore store(locations);
  const auto rows = model_rows(store, official_model_weights(ConditioningMode::kText));
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& row : rows) {
    EXPECT_EQ(row.state, "missing") << row.name;
    EXPECT_TRUE(row.missing);
    EXPECT_FALSE(row.usable);
    EXPECT_EQ(row.url.rfind("https://", 0), 0u) << row.url;
    EXPECT_EQ(fs::path(row.path).parent_path(), cache) << row.path;
    EXPECT_NE(row.size, "");
  }
  fs::remove_all(cache);
}

TEST(ModelDownloads, PresentFileWithoutHashIsUsable) {
  const fs::path cache = temp_dir("present");
  std::ofstream(cache / "custom.bin") << "hello";
  WeightsLocations locations;
  locations.cache_directory = cache;
  const WeightsStore store(locations);
  WeightsFile file;
  file.name = "custom";
  file.filename = "custom.bin";
  file.url = "http://127.0.0.1:9/custom.bin";
  const auto rows = model_rows(store, {file});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].usable);
  EXPECT_FALSE(rows[0].missing);
  EXPECT_EQ(rows[0].size, "5 B");
  fs::remove_all(cache);
}

TEST(ModelDownloads, UnreachableServerEndsInAnErrorNotAHang) {
  const fs::path cache = temp_dir("unreachable");
  WeightsLocations locations;
  locations.cache_directory = cache;
  DownloadOptions options;
  options.connect_timeout = 3s;
  options.stall_timeout = 3s;
  options.max_resume_attempts = 0;
  options.retry_delay = 10ms;
  ModelDownloader downloader(locations, options);
  // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
  const WeightsFile file = make_custom_weights_file("custom", "http://127.0.0.1:9/custom.bin", "", "custom.bin");
  ASSERT_TRUE(downloader.start({file}));
  EXPECT_FALSE(downloader.start({file}));  // one run at a time
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (downloader.running() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
  const auto snapshot = downloader.snapshot();
  ASSERT_FALSE(snapshot.running) << "the download did not end";
  EXPECT_EQ(snapshot.finished_runs, 1u);
  EXPECT_TRUE(snapshot.result_is_error);
  EXPECT_NE(snapshot.result.find("custom"), std::string::npos) << snapshot.result;
  EXPECT_FALSE(fs::exists(cache / "custom.bin"));
  fs::remove_all(cache);
}

TEST(ModelDownloads, CancelAndDestructionDoNotHang) {
  const fs::path cache = temp_dir("cancel");
  WeightsLocations locations;
  locations.cache_directory = cache;
  DownloadOptions options;
  options.connect_timeout = 2s;
  {
    ModelDownloader downloader(locations, options);
    // A non-routable address: the connect would wait for its timeout unless cancelled.
    const WeightsFile file = make_custom_weights_file("slow", "http://10.255.255.1/slow.bin", "", "slow.bin");
    ASSERT_TRUE(downloader.start({file}));
    downloader.cancel();
    const auto start = std::chrono::steady_clock::now();
    while (downloader.running() && std::chrono::steady_clock::now() - start < 30s) std::this_thread::sleep_for(20ms);
    EXPECT_FALSE(downloader.running());
    EXPECT_TRUE(downloader.snapshot().result_is_error);
  }
  fs::remove_all(cache);
}

}  // namespace
}  // namespace shape::studio
