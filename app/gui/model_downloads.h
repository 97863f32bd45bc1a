// The Models panel's logic, window-free: the official files a conditioning mode needs, their rows
// (from WeightsStore::status(), cheap enough for the UI thread) and a background downloader whose
// progress the GUI polls through a mutex-guarded snapshot. Torch-free.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "inference/pipeline/latent_generator.h"
#include "inference/pipeline/official_models.h"
#include "inference/weights/downloader.h"
#include "inference/weights/weights_store.h"

namespace shape::studio {


struct ModelRow {
  std::string name;      // "text300M"
  std::string state;     // "verified", "present (not checked yet)", "missing", "WRONG HASH", ...
  std::string size;      // "1.2 GiB" (expected size while missing)
  std::string path;      // the copy, or where a download will put it
  std::string url;
  std::string description;
  bool missing = false;  // needs a download (missing or wrong hash)
  bool usable = false;   // verified or present
};

std::vector<ModelRow> model_rows(const WeightsStore& store, const std::vector<WeightsFile>& files);

struct DownloadSnapshot {
  bool running = false;
  std::string file_name;  // the file being transferred
  bool verifying = false;
  std::uint64_t bytes_done = 0;
  std::uint64_t bytes_total = 0;
  std::size_t file_index = 0;
  std::size_t file_count = 0;
  std::uint64_t finished_runs = 0;  // how many downloads have ended (the panel refreshes on change)
  std::string result;               // the last run's outcome ("downloaded ...", "cancelled")
  bool result_is_error = false;
  float fraction() const;
};

// Runs WeightsStore::ensure_available(files, DownloadMissing) on its own thread, one run at a time.
class ModelDownloader {
 public:
  // `options` supplies timeouts (tests shorten them); its on_progress and cancel are replaced.
  explicit ModelDownloader(WeightsLocations locations, DownloadOptions options = {});
  ~ModelDownloader();  // cancels and joins
  ModelDownloader(const ModelDownloader&) = delete;
  ModelDownloader& operator=(const ModelDownloader&) = delete;

  // False (and nothing starts) while a run is going.
  bool start(std::vector<WeightsFile> files);
  void cancel();
  DownloadSnapshot snapshot() const;
  bool running() const;

 private:
  void run(std::vector<WeightsFile> files);

  WeightsLocations locations_;
  DownloadOptions options_;
  mutable std::mutex mutex_;
  DownloadSnapshot snapshot_;
  std::atomic<bool> cancel_{false};
  std::thread thread_;
};

}  // namespace shape::studio
