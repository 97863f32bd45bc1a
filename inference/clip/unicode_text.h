// Code-point level helpers for CLIP's text cleaning, which is defined on Python str (code points).
#pragma once

#include <string>
#include <string_view>

namespace shape::clip_detail {

inline constexpr char32_t kReplacementCharacter = U'\uFFFD';

// Each maximal ill-formed subsequence (stray continuation byte, truncated or overlong sequence,
// encoded surrogate, value past U+10FFFF) becomes one U+FFFD, as Python's errors="replace" does.
std::u32string decode_utf8(std::string_view text);

// Surrogate code points (which decode_utf8 never yields) are written as U+FFFD.
std::string encode_utf8(std::u32string_view text);
void append_utf8(char32_t code_point, std::string& out);

// Python's str.isspace(), which str.strip() uses: White_Space plus U+001C..U+001F.
bool is_python_space(char32_t c);
// The `regex` module's \s: the Unicode White_Space property.
bool is_unicode_white_space(char32_t c);
// \p{L} and \p{N} (general categories L* and N*), from ICU's character database.
bool is_letter(char32_t c);
bool is_number(char32_t c);

// Python's str.lower(): full case mapping (e.g. U+0130 -> "i\u0307") with the final-sigma rule,
// no language tailoring. Done by ICU's root-locale lowercasing, which implements the same rules.
std::u32string to_lower_python(std::u32string_view text);

}  // namespace shape::clip_detail
