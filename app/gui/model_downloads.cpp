#include "gui/model_downloads.h"

#include <cstdio>
#include <exception>

#include "inference/weights/progress_bar.h"
#include "inference/weights/weights_catalog.h"

namespace shape::studio {

std::vector<ModelRow> model_rows(const WeightsStore& store, const std::vector<WeightsFile>& files) {
  std::vector<ModelRow> rows;
  for (const auto& status : store.status(files)) {
    ModelRow row;
    row.name = status.file.name;
    row.url = status.file.url;
    row.description = status.file.description;
    row.path = status.path.string();
    switch (status.state) {
      case WeightsFileState::Missing:
        row.state = status.partial_bytes > 0 ? "missing (" + format_byte_count(status.partial_bytes) + " partial)" : "missing";
        row.missing = true;
        break;
      case WeightsFileState::Unverified:
        row.state = "present (not checked yet)";
        row.usable = true;
        break;
      case WeightsFileState::Verified:
        row.state = "verified";
        row.usable = true;
        break;
      case WeightsFileState::WrongHash:
        row.state = "wrong hash";
        row.missing = true;
        break;
      case WeightsFileState::Unchecked:
        row.state = "present";
        row.usable = true;
        break;
    }
    const std::uint64_t size = status.state == WeightsFileState::Missing ? status.file.size_bytes : status.size_bytes;
    row.size = size > 0 ? format_byte_count(size) : "?";
    rows.push_back(std::move(row));
  }
  return rows;
}

float DownloadSnapshot::fraction() const {
  if (bytes_total == 0) return 0.0f;
  const double done = static_cast<double>(bytes_done) / static_cast<double>(bytes_total);
  return static_cast<float>(done < 0.0 ? 0.0 : done > 1.0 ? 1.0 : done);
}

ModelDownloader::ModelDownloader(WeightsLocations locations, DownloadOptions options)
    : locations_(std::move(locations)), options_(std::move(options)) {}

ModelDownloader::~ModelDownloader() {
  cancel_ = true;
  if (thread_.joinable()) thread_.join();
}

bool ModelDownloader::start(std::vector<WeightsFile> files) {
  {
    std::lock_guard lock(mutex_);
    if (snapshot_.running) return false;
    snapshot_.running = true;
    snapshot_.file_name.clear();
    snapshot_.verifying = false;
    snapshot_.bytes_done = snapshot_.bytes_total = 0;
    snapshot_.file_index = 0;
    snapshot_.file_count = files.size();
    snapshot_.result.clear();
    snapshot_.result_is_error = false;
  }
  if (thread_.joinable()) thread_.join();  // the previous run is over (running was false)
  cancel_ = false;
  thread_ = std::thread([this, files = std::move(files)]() mutable { run(std::move(files)); });
  return true;
}

void ModelDownloader::cancel() { cancel_ = true; }

DownloadSnapshot ModelDownloader::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

bool ModelDownloader::running() const {
  std::lock_guard lock(mutex_);
  return snapshot_.running;
}

void ModelDownloader::run(std::vector<WeightsFile> files) {
  DownloadOptions options = options_;
  options.cancel = &cancel_;
  options.on_progress = [this](const DownloadProgress& progress) {
    std::lock_guard lock(mutex_);
    snapshot_.file_name = progress.file_name;
    snapshot_.verifying = progress.phase == TransferPhase::Verifying;
    snapshot_.bytes_done = progress.bytes_done;
    snapshot_.bytes_total = progress.bytes_total;
    snapshot_.file_index = progress.file_index;
    snapshot_.file_count = progress.file_count;
  };
  std::string result;
  bool is_error = false;
  try {
    const WeightsStore store(locations_);
    store.ensure_available(files, FetchPolicy::DownloadMissing, options);
    result = "all " + std::to_string(files.size()) + " model files are available";
  } catch (const DownloadCancelled&) {
    result = "download cancelled (a partial file is kept and resumed next time)";
    is_error = true;
  } catch (const std::exception& error) {
    result = error.what();
    is_error = true;
  } catch (...) {
    result = "download failed";
    is_error = true;
  }
  std::lock_guard lock(mutex_);
  snapshot_.running = false;
  snapshot_.result = result;
  snapshot_.result_is_error = is_error;
  ++snapshot_.finished_runs;
}

}  // namespace shape::studio
