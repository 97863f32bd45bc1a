#include "cli/arguments.h"

#include <cmath>
#include <stdexcept>

namespace shape::cli {

const std::string& ArgumentReader::value_of(const std::string& option) {
  if (done()) throw UsageError{"option '" + option + "' needs a value"};
  return next();
}

int64_t parse_count(const std::string& option, const std::string& value) {
  try {
    size_t used = 0;
    const long long parsed = std::stoll(value, &used);
    if (used == value.size() && parsed > 0) return parsed;
  } catch (const std::exception&) {
  }
  throw UsageError{option + " needs a positive integer, got '" + value + "'"};
}

uint64_t parse_seed(const std::string& option, const std::string& value) {
  try {
    size_t used = 0;
    if (!value.empty() && value[0] != '-') {
      const unsigned long long parsed = std::stoull(value, &used);
      if (used == value.size()) return parsed;
    }
  } catch (const std::exception&) {
  }
  throw UsageError{option + " needs a non-negative integer, got '" + value + "'"};
}

double parse_number(const std::string& option, const std::string& value) {
  try {
    size_t used = 0;
    const double parsed = std::stod(value, &used);
    if (used == value.size() && std::isfinite(parsed)) return parsed;
  } catch (const std::exception&) {
  }
  throw UsageError{option + " needs a number, got '" + value + "'"};
}

PrecisionRequest parse_precision_option(const std::string& option, const std::string& value) {
  try {
    return parse_precision_request(value);
  } catch (const std::invalid_argument& error) {
    throw UsageError{option + ": " + error.what()};
  }
}

}  // namespace shape::cli
