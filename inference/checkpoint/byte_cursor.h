// Bounds-checked little-endian reading from an in-memory byte range (zip records, pickle, headers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "inference/checkpoint/format_error.h"

namespace shape::checkpoint_detail {

class ByteCursor {
 public:
  // `what` names the record in errors, e.g. "zip central directory".
  ByteCursor(const uint8_t* data, size_t size, std::string what) : data_(data), size_(size), what_(std::move(what)) {}

  size_t position() const { return position_; }
  size_t remaining() const { return size_ - position_; }
  bool at_end() const { return position_ == size_; }

  void skip(size_t count) {
    require(count);
    position_ += count;
  }
  uint8_t u8() { return static_cast<uint8_t>(little_endian(1)); }
  uint16_t u16() { return static_cast<uint16_t>(little_endian(2)); }
  uint32_t u32() { return static_cast<uint32_t>(little_endian(4)); }
  uint64_t u64() { return little_endian(8); }
  // A view of the next `count` bytes; checked against the remaining bytes before anything is copied.
  std::string_view bytes(size_t count) {
    require(count);
    std::string_view view(reinterpret_cast<const char*>(data_ + position_), count);
    position_ += count;
    return view;
  }
  const uint8_t* current() const { return data_ + position_; }

  void require(size_t count) const {
    if (count > remaining()) {
      throw FormatError(what_ + " is truncated: needs " + std::to_string(count) + " bytes at offset " +
                        std::to_string(position_) + ", " + std::to_string(remaining()) + " left");
    }
  }

 private:
  uint64_t little_endian(size_t width) {
    require(width);
    uint64_t value = 0;
    for (size_t i = 0; i < width; ++i) value |= static_cast<uint64_t>(data_[position_ + i]) << (8 * i);
    position_ += width;
    return value;
  }

  const uint8_t* data_;
  size_t size_;
  size_t position_ = 0;
  std::string what_;
};

}  // namespace shape::checkpoint_detail
