#include "gui/loss_curve_tail.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <system_error>

namespace shape::studio {

namespace fs = std::filesystem;

namespace {

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    fields.push_back(trim(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) return fields;
    start = comma + 1;
  }
}

bool parse_value(const std::string& text, float& value) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  value = std::strtof(text.c_str(), &end);
  return *end == '\0' && errno != ERANGE;
}

}  // namespace

fs::path loss_file_of(const fs::path& run_dir_or_file) {
  if (run_dir_or_file.empty() || run_dir_or_file.extension() == ".csv") return run_dir_or_file;
  return run_dir_or_file / "loss.csv";
}

void LossCurveTail::follow(fs::path file) {
  file_ = std::move(file);
  last_poll_ = -1e300;  // the next poll reads at once
  restart();
}

void LossCurveTail::restart() {
  offset_ = 0;
  partial_.clear();
  line_number_ = 0;
  header_bad_ = false;
  columns_.clear();
  values_.clear();
  malformed_rows_ = 0;
  first_malformed_.clear();
  set_message("", false);
}

void LossCurveTail::set_message(std::string message, bool is_error) {
  message_ = std::move(message);
  message_is_error_ = is_error;
}

bool LossCurveTail::poll(double now) {
  if (file_.empty() || now - last_poll_ < kPollIntervalSeconds) return false;
  last_poll_ = now;
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(file_, ec);
  if (ec) {
    restart();
    if (fs::is_directory(file_, ec)) {
      set_message(file_.string() + " is a folder, not a loss log", true);
    } else {
      set_message("no " + file_.filename().string() + " in " + file_.parent_path().string() +
                      " yet (it appears when the training logs its first step)",
                  false);
    }
    return false;
  }
  if (size < offset_ || header_bad_) restart();  // rewritten by a new run (or fixed): read it anew
  if (size == offset_) {
    if (columns_.empty() && message_.empty()) set_message("the loss log is empty so far", false);
    return false;
  }

  std::ifstream in(file_, std::ios::binary);
  std::string chunk(static_cast<size_t>(std::min<std::uintmax_t>(size - offset_, kMaxBytesPerPoll)), '\0');
  if (!in.seekg(static_cast<std::streamoff>(offset_)) || !in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()))) {
    set_message("cannot read " + file_.string(), true);
    return false;
  }
  offset_ += chunk.size();

  const size_t rows_before = rows();
  partial_ += chunk;
  size_t start = 0;
  for (size_t end; (end = partial_.find('\n', start)) != std::string::npos; start = end + 1) {
    parse_line(partial_.substr(start, end - start));
    if (header_bad_) break;
  }
  partial_.erase(0, start);

  if (header_bad_) return false;
  if (malformed_rows_ > 0) {
    set_message("skipped " + std::to_string(malformed_rows_) + " malformed row" + (malformed_rows_ > 1 ? "s" : "") +
                    " (first: " + first_malformed_ + ")",
                true);
  } else if (columns_.empty() || rows() == 0) {
    set_message("waiting for the first logged step", false);
  } else {
    set_message("", false);
  }
  return rows() > rows_before;
}

void LossCurveTail::parse_line(const std::string& raw) {
  ++line_number_;
  const std::string line = trim(raw);
  if (line.empty()) return;
  const auto fields = split_fields(line);
  if (columns_.empty()) {
    if (fields.size() < 3 || fields[0] != "step" || fields[1] != "seconds") {
      header_bad_ = true;
      set_message(file_.filename().string() + " is not a loss log: its header must start with step,seconds and name "
                      "at least one loss column (got '" + line.substr(0, 80) + "')",
                  true);
      return;
    }
    columns_ = fields;
    values_.assign(fields.size(), {});
    return;
  }
  std::vector<float> row(fields.size());
  bool ok = fields.size() == columns_.size();
  for (size_t i = 0; ok && i < fields.size(); ++i) ok = parse_value(fields[i], row[i]);
  if (!ok) {
    if (malformed_rows_++ == 0) {
      first_malformed_ = "line " + std::to_string(line_number_) + ": " +
                         (fields.size() != columns_.size()
                              ? std::to_string(fields.size()) + " values for " + std::to_string(columns_.size()) + " columns"
                              : "'" + line.substr(0, 60) + "' is not all numbers");
    }
    return;
  }
  for (size_t i = 0; i < row.size(); ++i) values_[i].push_back(row[i]);
}

}  // namespace shape::studio
