#include "inference/weights/progress_bar.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace shape {

std::string format_byte_count(std::uint64_t bytes) {
  static const char* const kUnits[] = {"B", "KB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 999.95 && unit < 4) {
    value /= 1000.0;
    ++unit;
  }
  char text[32];
  if (unit == 0) {
    std::snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(text, sizeof text, value < 10.0 ? "%.2f %s" : "%.1f %s", value, kUnits[unit]);
  }
  return text;
}

std::string format_duration(double seconds) {
  const long long total = std::llround(std::max(0.0, seconds));
  const long long hours = total / 3600, minutes = (total / 60) % 60, secs = total % 60;
  char text[32];
  if (hours > 0) {
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", hours, minutes, secs);
  } else {
    std::snprintf(text, sizeof text, "%lld:%02lld", minutes, secs);
  }
  return text;
}

std::string render_progress_bar(const DownloadProgress& progress, int bar_width) {
  std::string line;
  if (progress.file_count > 1) {
    line += "[" + std::to_string(progress.file_index + 1) + "/" + std::to_string(progress.file_count) + "] ";
  }
  line += progress.file_name;
  if (progress.phase == TransferPhase::Verifying) line += " verifying";
  const bool total_known = progress.bytes_total > 0;
  if (total_known) {
    const double fraction =
        std::clamp(static_cast<double>(progress.bytes_done) / static_cast<double>(progress.bytes_total), 0.0, 1.0);
    const int width = std::max(1, bar_width);
    const int filled = static_cast<int>(fraction * width);
    char percent[8];
    std::snprintf(percent, sizeof percent, "%3d%%", static_cast<int>(fraction * 100.0));
    line += " [" + std::string(filled, '#') + std::string(width - filled, '-') + "] " + percent;
    line += "  " + format_byte_count(progress.bytes_done) + " / " + format_byte_count(progress.bytes_total);
  } else {
    line += "  " + format_byte_count(progress.bytes_done);
  }
  if (progress.bytes_per_second > 0.0) {
    line += "  " + format_byte_count(static_cast<std::uint64_t>(progress.bytes_per_second)) + "/s";
    if (total_known && progress.bytes_done < progress.bytes_total) {
      const double remaining = static_cast<double>(progress.bytes_total - progress.bytes_done);
      line += "  ETA " + format_duration(remaining / progress.bytes_per_second);
    }
  }
  return line;
}

}  // namespace shape
