#include "inference/clip/unicode_text.h"

#include <unicode/uchar.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace shape::clip_detail {
namespace {

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// Valid second-byte range of a multi-byte sequence (Unicode Table 3-7); it excludes overlong
// forms, surrogates and values past U+10FFFF at the earliest byte, so that the replacement covers
// a maximal subpart exactly as Python does.
bool second_byte_is_valid(unsigned char lead, unsigned char second) {
  switch (lead) {
    case 0xE0: return second >= 0xA0 && second <= 0xBF;
    case 0xED: return second >= 0x80 && second <= 0x9F;
    case 0xF0: return second >= 0x90 && second <= 0xBF;
    case 0xF4: return second >= 0x80 && second <= 0x8F;
    default: return is_continuation(second);
  }
}

}  // namespace

std::u32string decode_utf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      out.push_back(lead);
      ++i;
      continue;
    }
    size_t length = 0;
    char32_t value = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      value = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      value = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      value = lead & 0x07;
    } else {
      out.push_back(kReplacementCharacter);  // continuation byte or invalid lead (C0, C1, F5..FF)
      ++i;
      continue;
    }
    size_t consumed = 1;
    bool valid = true;
    for (; consumed < length; ++consumed) {
      if (i + consumed >= text.size()) {
        valid = false;
        break;
      }
      const auto byte = static_cast<unsigned char>(text[i + consumed]);
      const bool ok = consumed == 1 ? second_byte_is_valid(lead, byte) : is_continuation(byte);
      if (!ok) {
        valid = false;
        break;
      }
      value = (value << 6) | (byte & 0x3F);
    }
    out.push_back(valid ? value : kReplacementCharacter);
    i += consumed;
  }
  return out;
}

void append_utf8(char32_t c, std::string& out) {
  if ((c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) c = kReplacementCharacter;
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string encode_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char32_t c : text) append_utf8(c, out);
  return out;
}

// A fixed list: White_Space has been stable since Unicode 6.3 (when U+180E left it).
bool is_unicode_white_space(char32_t c) {
  if (c <= 0x20) return c == 0x20 || (c >= 0x09 && c <= 0x0D);
  switch (c) {
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000: return true;
    default: return c >= 0x2000 && c <= 0x200A;
  }
}

bool is_python_space(char32_t c) { return is_unicode_white_space(c) || (c >= 0x1C && c <= 0x1F); }

bool is_letter(char32_t c) { return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_L_MASK) != 0; }

bool is_number(char32_t c) { return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_N_MASK) != 0; }

std::u32string to_lower_python(std::u32string_view text) {
  std::vector<UChar> utf16;
  utf16.reserve(text.size());
  for (char32_t c : text) {
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = kReplacementCharacter;
    if (c < 0x10000) {
      utf16.push_back(static_cast<UChar>(c));
    } else {
      utf16.push_back(U16_LEAD(c));
      utf16.push_back(U16_TRAIL(c));
    }
  }
  if (utf16.empty()) return {};
  // Full lowercasing can lengthen the text (U+0130 becomes two code points): on overflow ICU
  // reports the size it needs.
  std::vector<UChar> lowered(utf16.size() + 16);
  int32_t length = 0;
  for (int attempt = 0;; ++attempt) {
    UErrorCode status = U_ZERO_ERROR;
    length = u_strToLower(lowered.data(), static_cast<int32_t>(lowered.size()), utf16.data(),
                          static_cast<int32_t>(utf16.size()), "", &status);
    if (status == U_BUFFER_OVERFLOW_ERROR && attempt == 0) {
      lowered.resize(static_cast<size_t>(length));
      continue;
    }
    if (U_FAILURE(status)) throw std::runtime_error(std::string("ICU lowercasing failed: ") + u_errorName(status));
    break;
  }
  std::u32string out;
  out.reserve(static_cast<size_t>(length));
  for (int32_t i = 0; i < length;) {
    UChar32 c = 0;
    U16_NEXT(lowered.data(), i, length, c);
    out.push_back(static_cast<char32_t>(c));
  }
  return out;
}

}  // namespace shape::clip_detail
