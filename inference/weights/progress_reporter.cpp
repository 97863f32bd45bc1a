#include "inference/weights/progress_reporter.h"

namespace shape {

void TransferRateMeter::add(Clock::time_point time, std::uint64_t bytes) {
  if (!samples_.empty() && bytes < samples_.back().second) samples_.clear();
  // Ticks come many times a second: merge samples closer than 50 ms to bound the history.
  const std::size_t count = samples_.size();
  if (count >= 2 && time - samples_[count - 2].first < std::chrono::milliseconds(50)) {
    samples_.back() = {time, bytes};
    return;
  }
  samples_.emplace_back(time, bytes);
  while (samples_.size() > 2 && time - samples_[1].first >= window_) samples_.pop_front();
}

double TransferRateMeter::bytes_per_second() const {
  if (samples_.size() < 2) return 0.0;
  const auto& [first_time, first_bytes] = samples_.front();
  const auto& [last_time, last_bytes] = samples_.back();
  const double seconds = std::chrono::duration<double>(last_time - first_time).count();
  return seconds > 0.0 ? static_cast<double>(last_bytes - first_bytes) / seconds : 0.0;
}

ProgressReporter::ProgressReporter(ProgressCallback callback, DownloadProgress base, std::chrono::milliseconds interval)
    : callback_(std::move(callback)), progress_(std::move(base)), interval_(interval) {}

void ProgressReporter::report(TransferPhase phase, std::uint64_t bytes_done, std::uint64_t bytes_total, bool force) {
  const auto now = TransferRateMeter::Clock::now();
  if (phase != progress_.phase) {
    // A new phase starts its own count and rate.
    progress_.phase = phase;
    progress_.bytes_done = 0;
    rate_ = TransferRateMeter();
    reported_ = false;
  }
  rate_.add(now, bytes_done);
  if (!callback_ || bytes_done < progress_.bytes_done) return;
  if (!force && reported_ && now - last_report_ < interval_) return;
  progress_.bytes_done = bytes_done;
  progress_.bytes_total = bytes_total;
  progress_.bytes_per_second = rate_.bytes_per_second();
  reported_ = true;
  last_report_ = now;
  callback_(progress_);
}

void ProgressReporter::restart() {
  progress_.bytes_done = 0;
  rate_ = TransferRateMeter();
}

}  // namespace shape
