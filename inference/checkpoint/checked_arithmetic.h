// Overflow-checked unsigned arithmetic for sizes and offsets read from untrusted files.
#pragma once

#include <cstdint>
#include <string>

#include "inference/checkpoint/format_error.h"

namespace shape::checkpoint_detail {

// `what` names the quantity in the error message, e.g. "tensor byte size".
inline uint64_t checked_add(uint64_t a, uint64_t b, const char* what) {
  uint64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) throw FormatError(std::string(what) + " overflows 64 bits");
  return sum;
}

inline uint64_t checked_multiply(uint64_t a, uint64_t b, const char* what) {
  uint64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) throw FormatError(std::string(what) + " overflows 64 bits");
  return product;
}

// True when [offset, offset + size) lies inside [0, limit), without overflowing.
inline bool range_fits(uint64_t offset, uint64_t size, uint64_t limit) {
  return offset <= limit && size <= limit - offset;
}

}  // namespace shape::checkpoint_detail
