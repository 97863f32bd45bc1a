// A one-line text progress bar for terminals, e.g.
//   text_cond.pt [##########----------]  50%  630.2 MB / 1.26 GB  12.4 MB/s  ETA 0:51
#pragma once

#include <cstdint>
#include <string>

#include "inference/weights/download_progress.h"

namespace shape {

// "0 B", "512 B", "1.5 KB", "630.2 MB", "1.26 GB" (decimal units, as download sizes are quoted).
std::string format_byte_count(std::uint64_t bytes);

// "0:07", "12:34", "1:02:03".
std::string format_duration(double seconds);

// The bar without a trailing newline; the caller prints it after '\r' to redraw in place.
// `bar_width` counts the characters between the brackets. With an unknown total the bar is
// replaced by the byte count and rate. Verification is labelled "verifying".
std::string render_progress_bar(const DownloadProgress& progress, int bar_width = 30);

}  // namespace shape
