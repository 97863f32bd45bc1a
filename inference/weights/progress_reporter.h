// Turns raw byte counts into DownloadProgress reports: throttled, monotonic, with a recent rate.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <utility>

#include "inference/weights/download_progress.h"

namespace shape {

// Bytes per second over the last few seconds (a sliding window, so the rate follows changes in
// speed without jumping at every tick).
class TransferRateMeter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit TransferRateMeter(Clock::duration window = std::chrono::seconds(3)) : window_(window) {}

  // Adds a sample; a byte count lower than the last one (a restart) clears the history.
  void add(Clock::time_point time, std::uint64_t bytes);
  double bytes_per_second() const;

 private:
  Clock::duration window_;
  std::deque<std::pair<Clock::time_point, std::uint64_t>> samples_;
};

// Fills in rate and throttles: report() forwards at most one update per interval, and never
// forwards a bytes_done lower than the last one of the same phase, except after restart().
class ProgressReporter {
 public:
  ProgressReporter(ProgressCallback callback, DownloadProgress base, std::chrono::milliseconds interval);

  void report(TransferPhase phase, std::uint64_t bytes_done, std::uint64_t bytes_total, bool force = false);
  void restart();  // the transfer starts over from zero

 private:
  ProgressCallback callback_;
  DownloadProgress progress_;
  std::chrono::milliseconds interval_;
  TransferRateMeter rate_;
  bool reported_ = false;
  TransferRateMeter::Clock::time_point last_report_{};
};

}  // namespace shape
