// CLIP's byte-level BPE tokenizer (clip/simple_tokenizer.py and clip.tokenize), torch-free.
//
// Text is cleaned as CLIP does (html.unescape twice, whitespace collapsed, Python lowercasing; see
// text_cleaning.h for the one gap, ftfy), split with CLIP's word pattern, and each word's UTF-8
// bytes are merged with the first 48894 ranked merges of bpe_simple_vocab_16e6.txt.gz.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace shape {

// The vocabulary file is missing, not gzip, or not a CLIP merges list.
class ClipTokenizerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One prompt as the text encoder reads it (clip.tokenize(..., truncate=True)).
struct ClipTokens {
  // context_length ids: start token, BPE ids, end token, zero padding. A prompt that is too long
  // is cut and its last id replaced by the end token.
  std::vector<int32_t> ids;
  // start + BPE ids + end before truncation: the prompt was cut if this exceeds ids.size().
  size_t untruncated_length = 0;

  bool truncated() const { return untruncated_length > ids.size(); }
};

class ClipTokenizer {
 public:
  static constexpr size_t kContextLength = 77;
  static constexpr int32_t kVocabularySize = 49408;

  // The copy in the project's resources folder.
  static std::filesystem::path default_vocabulary_path();

  // Reads the gzip'd merges list. Throws ClipTokenizerError.
  explicit ClipTokenizer(const std::filesystem::path& vocabulary_gz = default_vocabulary_path());

  // BPE ids of the cleaned text, without start/end tokens (SimpleTokenizer.encode). Invalid UTF-8
  // is read as U+FFFD. A literal "<|startoftext|>" / "<|endoftext|>" becomes that special token,
  // as in the official tokenizer.
  std::vector<int32_t> encode(std::string_view utf8_text) const;

  // clip.tokenize(text, context_length, truncate=True) for one prompt.
  ClipTokens tokenize(std::string_view utf8_text, size_t context_length = kContextLength) const;

  // Token strings joined, byte-decoded (invalid UTF-8 replaced), "</w>" read as a space; padding
  // zeros are ids like any other, so pass only the ids you want.
  std::string decode(const std::vector<int32_t>& ids) const;

  int32_t start_token() const;  // 49406
  int32_t end_token() const;    // 49407
  int32_t vocabulary_size() const;

 private:
  struct Vocabulary;
  std::shared_ptr<const Vocabulary> vocabulary_;  // immutable: copies and concurrent use are cheap and safe
};

}  // namespace shape
