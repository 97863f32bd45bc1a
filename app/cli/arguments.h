// Small helpers for reading command-line options. Errors are UsageError (main prints the usage).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "inference/precision.h"

namespace shape::cli {

// Walks `--option value` pairs and bare flags in order.
class ArgumentReader {
 public:
  explicit ArgumentReader(std::vector<std::string> args) : args_(std::move(args)) {}
  bool done() const { return position_ >= args_.size(); }
  const std::string& next() { return args_[position_++]; }
  // The value after `option`; a UsageError if there is none.
  const std::string& value_of(const std::string& option);

 private:
  std::vector<std::string> args_;
  size_t position_ = 0;
};

int64_t parse_count(const std::string& option, const std::string& value);  // a positive integer
uint64_t parse_seed(const std::string& option, const std::string& value);   // 0 .. 2^64-1
double parse_number(const std::string& option, const std::string& value);   // finite
PrecisionRequest parse_precision_option(const std::string& option, const std::string& value);

}  // namespace shape::cli
