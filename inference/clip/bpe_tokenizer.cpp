#include "inference/clip/bpe_tokenizer.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <functional>
#include <queue>
#include <unordered_map>
#include <utility>

#include "inference/clip/text_cleaning.h"
#include "inference/clip/unicode_text.h"

namespace shape {
namespace {

// merges[1 : 49152 - 256 - 2 + 1]: the header line is skipped, and the vocabulary is 256 byte
// symbols, their 256 end-of-word forms, these merges and the two special tokens.
constexpr size_t kMergeCount = 49152 - 256 - 2;
constexpr size_t kMaxVocabularyFileBytes = size_t{64} << 20;
constexpr const char* kEndOfWord = "</w>";
constexpr const char* kStartOfText = "<|startoftext|>";
constexpr const char* kEndOfText = "<|endoftext|>";

std::string read_gzip_file(const std::filesystem::path& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) throw ClipTokenizerError("cannot open CLIP BPE vocabulary '" + path.string() + "'");
  std::string text;
  std::array<char, 1 << 16> buffer{};
  while (true) {
    const int read = gzread(file, buffer.data(), static_cast<unsigned>(buffer.size()));
    if (read < 0) {
      int code = 0;
      const std::string message = gzerror(file, &code);
      gzclose(file);
      throw ClipTokenizerError("CLIP BPE vocabulary '" + path.string() + "' is corrupt: " + message);
    }
    if (read == 0) break;
    text.append(buffer.data(), static_cast<size_t>(read));
    if (text.size() > kMaxVocabularyFileBytes) {
      gzclose(file);
      throw ClipTokenizerError("CLIP BPE vocabulary '" + path.string() + "' is implausibly large");
    }
  }
  gzclose(file);
  return text;
}

// GPT-2's reversible byte -> printable character table: printable Latin-1 bytes map to themselves,
// the others to U+0100 onwards, in byte order. The order of the entries is the vocabulary order.
std::vector<std::pair<uint8_t, char32_t>> bytes_to_unicode() {
  std::vector<std::pair<uint8_t, char32_t>> table;
  std::array<bool, 256> printable{};
  for (int b = 0; b < 256; ++b) {
    printable[b] = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    if (printable[b]) table.emplace_back(static_cast<uint8_t>(b), static_cast<char32_t>(b));
  }
  char32_t next = 256;
  for (int b = 0; b < 256; ++b) {
    if (!printable[b]) table.emplace_back(static_cast<uint8_t>(b), next++);
  }
  return table;
}

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

}  // namespace

struct ClipTokenizer::Vocabulary {
  struct Merge {
    int32_t rank;
    int32_t merged;
  };

  std::vector<std::string> tokens;                 // id -> token string (UTF-8)
  std::unordered_map<std::string, int32_t> ids;    // token string -> id; a later duplicate wins, as in Python's dict
  std::unordered_map<uint64_t, Merge> merges;      // (left id, right id) -> rank and merged id
  std::array<int32_t, 256> byte_symbol{};          // byte -> id of its symbol
  std::array<int32_t, 256> byte_end_symbol{};      // byte -> id of its symbol + "</w>"
  std::array<int16_t, 0x200> byte_of_character{};  // symbol character (< U+0200) -> byte, or -1
  int32_t start = 0, end = 0;

  void add_token(std::string token) {
    ids.insert_or_assign(token, static_cast<int32_t>(tokens.size()));
    tokens.push_back(std::move(token));
  }

  std::vector<int32_t> bpe(const std::string& word_bytes) const;
  std::vector<int32_t> encode(std::string_view utf8_text) const;
};

// SimpleTokenizer.bpe: repeatedly merge every occurrence (left to right) of the adjacent pair with
// the lowest rank. A heap of candidate pairs makes this O(n log n) instead of Python's O(n^2).
std::vector<int32_t> ClipTokenizer::Vocabulary::bpe(const std::string& word_bytes) const {
  const size_t n = word_bytes.size();
  std::vector<int32_t> symbol(n), next(n), previous(n);
  for (size_t i = 0; i < n; ++i) {
    const auto byte = static_cast<uint8_t>(word_bytes[i]);
    symbol[i] = i + 1 == n ? byte_end_symbol[byte] : byte_symbol[byte];
    next[i] = i + 1 == n ? -1 : static_cast<int32_t>(i + 1);
    previous[i] = static_cast<int32_t>(i) - 1;
  }

  struct Candidate {
    int32_t rank, left, left_symbol, right_symbol;
    bool operator>(const Candidate& other) const { return rank != other.rank ? rank > other.rank : left > other.left; }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> heap;
  const auto push_pair = [&](int32_t left) {
    if (left < 0 || next[left] < 0) return;
    const auto it = merges.find(pair_key(symbol[left], symbol[next[left]]));
    if (it != merges.end()) heap.push({it->second.rank, left, symbol[left], symbol[next[left]]});
  };
  for (size_t i = 0; i + 1 < n; ++i) push_pair(static_cast<int32_t>(i));

  std::vector<Candidate> batch;
  while (!heap.empty()) {
    // All candidates of the lowest rank, in word order (the heap breaks rank ties by position).
    const int32_t rank = heap.top().rank;
    batch.clear();
    while (!heap.empty() && heap.top().rank == rank) {
      batch.push_back(heap.top());
      heap.pop();
    }
    for (const Candidate& candidate : batch) {
      const int32_t left = candidate.left;
      const int32_t right = next[left];
      // Stale: a symbol changed since the pair was queued (or was consumed by an overlapping merge).
      if (symbol[left] != candidate.left_symbol || right < 0 || symbol[right] != candidate.right_symbol) continue;
      symbol[left] = merges.at(pair_key(candidate.left_symbol, candidate.right_symbol)).merged;
      symbol[right] = -1;
      next[left] = next[right];
      if (next[left] >= 0) previous[next[left]] = left;
      push_pair(previous[left]);
      push_pair(left);
    }
  }

  std::vector<int32_t> result;
  for (int32_t i = n ? 0 : -1; i >= 0; i = next[i]) result.push_back(symbol[i]);
  return result;
}

std::vector<int32_t> ClipTokenizer::Vocabulary::encode(std::string_view utf8_text) const {
  using namespace clip_detail;
  std::vector<int32_t> result;
  for (const std::u32string& word : split_words(clean_text(decode_utf8(utf8_text)))) {
    const std::string bytes = encode_utf8(word);
    if (bytes == kStartOfText || bytes == kEndOfText) {
      result.push_back(ids.at(bytes));  // the official tokenizer's cache returns these unsplit
      continue;
    }
    const std::vector<int32_t> pieces = bpe(bytes);
    result.insert(result.end(), pieces.begin(), pieces.end());
  }
  return result;
}

std::filesystem::path ClipTokenizer::default_vocabulary_path() {
  return std::filesystem::path(SHAPE_RESOURCES_DIR) / "bpe_simple_vocab_16e6.txt.gz";
}

ClipTokenizer::ClipTokenizer(const std::filesystem::path& vocabulary_gz) {
  const std::string text = read_gzip_file(vocabulary_gz);
  const auto fail = [&](const std::string& why) {
    throw ClipTokenizerError("CLIP BPE vocabulary '" + vocabulary_gz.string() + "': " + why);
  };

  auto vocabulary = std::make_shared<Vocabulary>();
  vocabulary->byte_of_character.fill(-1);
  const auto byte_table = bytes_to_unicode();
  for (const auto& [byte, character] : byte_table) {
    vocabulary->add_token(clip_detail::encode_utf8(std::u32string(1, character)));
    vocabulary->byte_of_character[character] = byte;
  }
  for (const auto& [byte, character] : byte_table) {
    vocabulary->add_token(clip_detail::encode_utf8(std::u32string(1, character)) + kEndOfWord);
  }

  std::vector<std::pair<std::string, std::string>> merges;
  merges.reserve(kMergeCount);
  size_t line_start = text.find('\n');  // the first line is a header
  if (line_start == std::string::npos) fail("no merges");
  ++line_start;
  for (size_t line = 0; line < kMergeCount; ++line) {
    const size_t line_end = text.find('\n', line_start);
    if (line_end == std::string::npos)
      fail("only " + std::to_string(line) + " merges, expected at least " + std::to_string(kMergeCount));
    const std::string_view merge(text.data() + line_start, line_end - line_start);
    const size_t space = merge.find(' ');
    if (space == 0 || space == std::string_view::npos || space + 1 == merge.size() ||
        merge.find(' ', space + 1) != std::string_view::npos) {
      fail("merge line " + std::to_string(line + 2) + " is not two space-separated symbols");
    }
    merges.emplace_back(merge.substr(0, space), merge.substr(space + 1));
    vocabulary->add_token(merges.back().first + merges.back().second);
    line_start = line_end + 1;
  }
  vocabulary->add_token(kStartOfText);
  vocabulary->add_token(kEndOfText);

  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto left = vocabulary->ids.find(merges[rank].first);
    const auto right = vocabulary->ids.find(merges[rank].second);
    // A merge of a symbol that is no token can never apply.
    if (left == vocabulary->ids.end() || right == vocabulary->ids.end()) continue;
    vocabulary->merges.insert_or_assign(
        pair_key(left->second, right->second),
        Vocabulary::Merge{static_cast<int32_t>(rank), vocabulary->ids.at(merges[rank].first + merges[rank].second)});
  }
  for (const auto& [byte, character] : byte_table) {
    const std::string symbol = clip_detail::encode_utf8(std::u32string(1, character));
    vocabulary->byte_symbol[byte] = vocabulary->ids.at(symbol);
    vocabulary->byte_end_symbol[byte] = vocabulary->ids.at(symbol + kEndOfWord);
  }
  vocabulary->start = vocabulary->ids.at(kStartOfText);
  vocabulary->end = vocabulary->ids.at(kEndOfText);
  vocabulary_ = std::move(vocabulary);
}

std::vector<int32_t> ClipTokenizer::encode(std::string_view utf8_text) const { return vocabulary_->encode(utf8_text); }

ClipTokens ClipTokenizer::tokenize(std::string_view utf8_text, size_t context_length) const {
  if (context_length < 2) throw ClipTokenizerError("context length must hold the start and end tokens");
  const std::vector<int32_t> bpe_ids = encode(utf8_text);
  ClipTokens tokens;
  tokens.untruncated_length = bpe_ids.size() + 2;
  tokens.ids.assign(context_length, 0);
  tokens.ids[0] = vocabulary_->start;
  const size_t kept = std::min(bpe_ids.size(), context_length - 2);
  std::copy_n(bpe_ids.begin(), kept, tokens.ids.begin() + 1);
  // Untruncated: the end token follows the ids; truncated: it replaces the last kept position.
  tokens.ids[std::min(kept + 1, context_length - 1)] = vocabulary_->end;
  return tokens;
}

std::string ClipTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string bytes;
  for (const int32_t id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= vocabulary_->tokens.size()) {
      throw ClipTokenizerError("token id " + std::to_string(id) + " is outside the vocabulary");
    }
    // Every token, the special ones and "</w>" included, is spelled in byte symbols.
    for (const char32_t character : clip_detail::decode_utf8(vocabulary_->tokens[static_cast<size_t>(id)])) {
      bytes.push_back(static_cast<char>(vocabulary_->byte_of_character.at(character)));
    }
  }
  std::string text = clip_detail::encode_utf8(clip_detail::decode_utf8(bytes));
  for (size_t at = text.find(kEndOfWord); at != std::string::npos; at = text.find(kEndOfWord, at + 1)) {
    text.replace(at, 4, " ");
  }
  return text;
}

int32_t ClipTokenizer::start_token() const { return vocabulary_->start; }
int32_t ClipTokenizer::end_token() const { return vocabulary_->end; }
int32_t ClipTokenizer::vocabulary_size() const { return static_cast<int32_t>(vocabulary_->tokens.size()); }

}  // namespace shape
