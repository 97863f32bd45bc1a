// CLIP's text normalisation and word splitting (clip/simple_tokenizer.py), on code points as
// Python does it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace shape::clip_detail {

// Python's html.unescape: numeric references (&#38; &#x26;, with the HTML5 fix-ups for invalid
// numbers) and all HTML5 named references, with or without ';', including the longest-prefix rule
// for legacy names ("&ampx" -> "&x").
std::u32string html_unescape(std::u32string_view text);

// whitespace_clean(basic_clean(text)).lower(): html.unescape twice, strip, every run of whitespace
// to one space, strip, Python lowercasing.
//
// basic_clean also calls ftfy.fix_text, which is not reproduced (it is an identity here, as in the
// golden files): text that ftfy would repair (mojibake, curly quotes, ligatures, full-width forms,
// control characters, non-NFC text) can tokenize differently from the official CLIP.
std::u32string clean_text(std::u32string_view text);

// re.findall of CLIP's pattern
//   <|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// compiled with re.IGNORECASE by the `regex` module. Whitespace is dropped.
std::vector<std::u32string> split_words(std::u32string_view text);

}  // namespace shape::clip_detail
