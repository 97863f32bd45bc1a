#include "inference/clip/text_cleaning.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "inference/clip/html_entities.h"
#include "inference/clip/unicode_text.h"

namespace shape::clip_detail {
namespace {

constexpr char32_t kFirstInvalidCodePoint = 0x110000;
constexpr size_t kMaxEntityNameLength = 32;  // the {1,32} of Python's reference pattern

// HTML5 maps these numeric references to Windows-1252 characters (0x80..0x9F) or fixes them up.
char32_t fixed_up_numeric_reference(char32_t value) {
  static constexpr char32_t kWindows1252[32] = {0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                                0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D,   0x017D, 0x8F,
                                                0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                                0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};
  if (value == 0x00) return kReplacementCharacter;
  if (value >= 0x80 && value <= 0x9F) return kWindows1252[value - 0x80];
  return value;  // 0x0D stays a carriage return
}

// Numbers that html.unescape drops: C0/C1 controls (except those fixed up above), noncharacters.
bool is_dropped_code_point(char32_t value) {
  return (value >= 0x01 && value <= 0x08) || value == 0x0B || (value >= 0x0E && value <= 0x1F) ||
         (value >= 0x7F && value <= 0x9F) || (value >= 0xFDD0 && value <= 0xFDEF) || (value & 0xFFFE) == 0xFFFE;
}

std::u32string numeric_reference_text(char32_t value) {
  if (value == 0x00 || value == 0x0D || (value >= 0x80 && value <= 0x9F)) {
    return std::u32string(1, fixed_up_numeric_reference(value));
  }
  if ((value >= 0xD800 && value <= 0xDFFF) || value >= kFirstInvalidCodePoint) {
    return std::u32string(1, kReplacementCharacter);
  }
  if (is_dropped_code_point(value)) return {};
  return std::u32string(1, value);
}

int digit_value(char32_t c, int base) {
  if (c >= '0' && c <= '9') return static_cast<int>(c - '0');
  if (base == 16 && c >= 'a' && c <= 'f') return static_cast<int>(c - 'a' + 10);
  if (base == 16 && c >= 'A' && c <= 'F') return static_cast<int>(c - 'A' + 10);
  return -1;
}

const HtmlEntity* find_entity(const std::string& name) {
  const HtmlEntity* end = kHtmlEntities + kHtmlEntityCount;
  const HtmlEntity* it = std::lower_bound(
      kHtmlEntities, end, name,
      [](const HtmlEntity& entity, const std::string& key) { return std::strcmp(entity.name, key.c_str()) < 0; });
  return it != end && name == it->name ? it : nullptr;
}

bool ends_entity_name(char32_t c) {
  return c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' || c == '#' || c == ';';
}

// Tries to read a reference at text[start] (just after the '&'); returns how many code points it
// used (0: none, the '&' stays literal) and appends its replacement.
size_t replace_reference(std::u32string_view text, size_t start, std::u32string& out) {
  size_t i = start;
  if (i < text.size() && text[i] == '#') {
    ++i;
    int base = 10;
    if (i < text.size() && (text[i] == 'x' || text[i] == 'X')) {
      base = 16;
      ++i;
    }
    const size_t digits_start = i;
    char32_t value = 0;
    while (i < text.size() && digit_value(text[i], base) >= 0) {
      // Saturates: Python's big integers only matter in that they exceed U+10FFFF.
      if (value < kFirstInvalidCodePoint) value = value * base + static_cast<char32_t>(digit_value(text[i], base));
      ++i;
    }
    if (i == digits_start) return 0;
    if (i < text.size() && text[i] == ';') ++i;
    out += numeric_reference_text(std::min(value, kFirstInvalidCodePoint));
    return i - start;
  }

  while (i < text.size() && i - start < kMaxEntityNameLength && !ends_entity_name(text[i])) ++i;
  if (i == start) return 0;
  if (i < text.size() && text[i] == ';') ++i;
  const std::u32string_view reference = text.substr(start, i - start);
  if (const HtmlEntity* entity = find_entity(encode_utf8(reference))) {
    out += decode_utf8(entity->utf8);
    return i - start;
  }
  // The longest known prefix of at least two characters, the rest kept literally.
  for (size_t length = reference.size() - 1; length >= 2; --length) {
    if (const HtmlEntity* entity = find_entity(encode_utf8(reference.substr(0, length)))) {
      out += decode_utf8(entity->utf8);
      out += reference.substr(length);
      return i - start;
    }
  }
  out += U'&';
  out += reference;
  return i - start;
}

std::u32string_view strip_python_space(std::u32string_view text) {
  size_t begin = 0, end = text.size();
  while (begin < end && is_python_space(text[begin])) ++begin;
  while (end > begin && is_python_space(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

std::u32string collapse_whitespace(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (!is_unicode_white_space(text[i])) {
      out.push_back(text[i++]);
      continue;
    }
    out.push_back(U' ');
    while (i < text.size() && is_unicode_white_space(text[i])) ++i;
  }
  return out;
}

// --- word splitting ---

// Pattern characters are ASCII lowercase; the text is lowercased already. Under IGNORECASE the
// `regex` module also matches U+017F LATIN SMALL LETTER LONG S against 's' (simple case folding).
bool matches_ignoring_case(char32_t pattern, char32_t c) {
  if (c == pattern) return true;
  if (pattern >= 'a' && pattern <= 'z' && c == pattern - 'a' + 'A') return true;
  return pattern == 's' && c == 0x017F;
}

size_t match_literal(std::u32string_view text, size_t at, std::string_view literal) {
  if (text.size() - at < literal.size()) return 0;
  for (size_t k = 0; k < literal.size(); ++k) {
    if (!matches_ignoring_case(static_cast<unsigned char>(literal[k]), text[at + k])) return 0;
  }
  return literal.size();
}

// U+0345 COMBINING GREEK YPOGEGRAMMENI case-folds to a letter (iota), so under IGNORECASE the
// negated class rejects it although [\p{L}] does not match it either: it is skipped like whitespace.
bool is_punctuation_like(char32_t c) {
  return !is_unicode_white_space(c) && !is_letter(c) && !is_number(c) && c != 0x0345;
}

// The length of the match at `at` (0 if nothing matches there), alternatives in pattern order.
size_t match_word(std::u32string_view text, size_t at) {
  static constexpr std::string_view kLiterals[] = {
      "<|startoftext|>", "<|endoftext|>", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};
  for (const std::string_view literal : kLiterals) {
    if (const size_t length = match_literal(text, at, literal)) return length;
  }
  size_t end = at;
  while (end < text.size() && is_letter(text[end])) ++end;
  if (end > at) return end - at;
  if (is_number(text[at])) return 1;
  while (end < text.size() && is_punctuation_like(text[end])) ++end;
  return end - at;
}

}  // namespace

std::u32string html_unescape(std::u32string_view text) {
  if (text.find(U'&') == std::u32string_view::npos) return std::u32string(text);
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text[i] != U'&') {
      out.push_back(text[i++]);
      continue;
    }
    const size_t used = replace_reference(text, i + 1, out);
    if (used == 0) out.push_back(U'&');
    i += 1 + used;
  }
  return out;
}

std::u32string clean_text(std::u32string_view text) {
  const std::u32string unescaped = html_unescape(html_unescape(text));
  const std::u32string collapsed = collapse_whitespace(strip_python_space(unescaped));
  return to_lower_python(strip_python_space(collapsed));
}

std::vector<std::u32string> split_words(std::u32string_view text) {
  std::vector<std::u32string> words;
  for (size_t i = 0; i < text.size();) {
    const size_t length = match_word(text, i);
    if (length == 0) {
      ++i;
      continue;
    }
    words.emplace_back(text.substr(i, length));
    i += length;
  }
  return words;
}

}  // namespace shape::clip_detail
