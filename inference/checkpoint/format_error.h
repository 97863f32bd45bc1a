// The error the torch-free parsers (zip, pickle, JSON, byte sources) throw. load_checkpoint turns it
// into a CheckpointError that also names the file, so these parsers stay free of LibTorch.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace shape::checkpoint_detail {

class FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Text taken from a file, made safe for an error message: printable ASCII kept, other bytes escaped
// as \xNN, long text cut.
inline std::string printable(std::string_view text) {
  constexpr size_t kMaxLength = 200;
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < text.size() && i < kMaxLength; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kDigits[c >> 4];
      out += kDigits[c & 0xF];
    }
  }
  if (text.size() > kMaxLength) out += "...";
  return out;
}

}  // namespace shape::checkpoint_detail
