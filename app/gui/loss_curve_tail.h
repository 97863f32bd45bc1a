// Follows a training run's loss log (`<run_dir>/loss.csv`, written by shape-cli's training
// commands) while it grows: a header line whose first two columns are step and seconds, then one
// numeric row per logged step. Only the bytes appended since the last read are read, a bounded
// amount per poll and at most twice a second, so the GUI thread can poll it every frame. A file that
// shrinks (a new run in the same folder) is read again from the start. Window- and torch-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace shape::studio {

class LossCurveTail {
 public:
  static constexpr std::size_t kMaxBytesPerPoll = 256 * 1024;  // the rest waits for the next poll
  static constexpr double kPollIntervalSeconds = 0.5;

  // Follows `file` from its start, forgetting everything read before. An empty path follows nothing.
  void follow(std::filesystem::path file);
  const std::filesystem::path& file() const { return file_; }

  // Reads what was appended since the last read, unless the last poll was less than
  // kPollIntervalSeconds before `now` (seconds on any steady clock). True when rows arrived.
  bool poll(double now);

  // The header's names and, per column, the values of every well-formed row (all the same length).
  const std::vector<std::string>& columns() const { return columns_; }
  const std::vector<float>& values(std::size_t column) const { return values_.at(column); }
  std::size_t rows() const { return values_.empty() ? 0 : values_.front().size(); }

  // Why nothing, or not everything, can be shown (empty when all is well): no file yet, a header
  // that is not a loss log's, unreadable file, or skipped malformed rows.
  const std::string& message() const { return message_; }
  bool message_is_error() const { return message_is_error_; }

 private:
  void restart();
  void parse_line(const std::string& line);
  void set_message(std::string message, bool is_error);

  std::filesystem::path file_;
  double last_poll_ = -1e300;
  std::uintmax_t offset_ = 0;  // bytes consumed so far
  std::string partial_;        // an incomplete last line, completed by a later read
  std::size_t line_number_ = 0;
  bool header_bad_ = false;
  std::vector<std::string> columns_;
  std::vector<std::vector<float>> values_;
  std::size_t malformed_rows_ = 0;
  std::string first_malformed_;
  std::string message_;
  bool message_is_error_ = false;
};

// The loss log of a run folder; a path to a .csv file is taken as the log itself.
std::filesystem::path loss_file_of(const std::filesystem::path& run_dir_or_file);

}  // namespace shape::studio
