// What a download (or the check of a file) reports while it runs; the CLI draws a progress bar
// from it, the GUI a progress widget.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace shape {

enum class TransferPhase {
  Downloading,  // bytes arrive from the server (bytes_done includes a resumed .part)
  Verifying,    // the finished file is hashed
};

struct DownloadProgress {
  std::string file_name;  // e.g. "text_cond.pt"
  TransferPhase phase = TransferPhase::Downloading;
  std::uint64_t bytes_done = 0;
  std::uint64_t bytes_total = 0;  // 0 while the size is unknown
  double bytes_per_second = 0.0;  // recent rate; 0 while unknown
  std::size_t file_index = 0;     // position in a batch of files (0-based)
  std::size_t file_count = 1;
};

// Called from the downloading thread, at most every few tenths of a second plus once at the end of
// each phase. Within a phase bytes_done never decreases, except when a transfer has to start again
// from zero (the server ignored the resume request or the partial file was damaged).
using ProgressCallback = std::function<void(const DownloadProgress&)>;

}  // namespace shape
