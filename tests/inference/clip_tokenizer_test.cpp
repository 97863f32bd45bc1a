// CLIP's tokenizer against the official clip.tokenize (golden ids) and Python's text semantics.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "golden.h"
#include "inference/checkpoint/json_parser.h"
#include "inference/clip/bpe_tokenizer.h"
#include "inference/clip/clip_model.h"
#include "inference/clip/text_cleaning.h"
#include "inference/clip/unicode_text.h"

namespace shape {
namespace {

const ClipTokenizer& tokenizer() {
  static const ClipTokenizer instance;
  return instance;
}

std::vector<std::string> golden_prompts() {
  std::ifstream stream(testing::golden_path("clip_tokenizer.json"), std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
  std::vector<std::string> prompts;
  const checkpoint_detail::JsonValue root = checkpoint_detail::parse_json(text);
  for (const auto& prompt : root.at("prompts").as_array()) {
    prompts.push_back(prompt.as_string());
  }
  return prompts;
}

TEST(ClipTokenizerGolden, IdsEqualOfficialTokenizeForAllPrompts) {
  const StateDict golden = testing::load_golden("clip_tokenizer");
  const torch::Tensor expected_ids = golden.at("ids");
  const torch::Tensor expected_lengths = golden.at("untruncated_len");
  const std::vector<std::string> prompts = golden_prompts();
  ASSERT_EQ(static_cast<int64_t>(prompts.size()), expected_ids.size(0));
  std::vector<ClipTokens> batch;
  for (size_t i = 0; i < prompts.size(); ++i) {
    const ClipTokens tokens = tokenizer().tokenize(prompts[i]);
    const auto row = torch::tensor(tokens.ids, torch::kInt32);
    EXPECT_TRUE(testing::exactly_equal(row, expected_ids[static_cast<int64_t>(i)]))
        << "prompt " << i << ": " << prompts[i];
    EXPECT_EQ(static_cast<int64_t>(tokens.untruncated_length),
              expected_lengths[static_cast<int64_t>(i)].item<int64_t>())
        << "prompt " << i;
    batch.push_back(tokens);
  }
  // The same ids as the model's int64 batch.
  EXPECT_TRUE(testing::exactly_equal(clip_token_batch(batch), expected_ids.to(torch::kLong)));
}

TEST(ClipTokenizerGolden, TokensInClipPtAreTheSame) {
  const StateDict golden = testing::load_golden("clip");
  const std::vector<std::string> prompts = golden_prompts();
  std::vector<ClipTokens> batch;
  for (const auto& prompt : prompts) batch.push_back(tokenizer().tokenize(prompt));
  EXPECT_TRUE(testing::exactly_equal(clip_token_batch(batch).to(torch::kInt32), golden.at("tokens")));
}

TEST(ClipTokenizer, TruncationKeepsTheEndTokenAndReportsTheLength) {
  std::string prompt;
  for (int i = 0; i < 100; ++i) prompt += "word ";
  const ClipTokens tokens = tokenizer().tokenize(prompt);
  ASSERT_EQ(tokens.ids.size(), ClipTokenizer::kContextLength);
  EXPECT_TRUE(tokens.truncated());
  EXPECT_EQ(tokens.untruncated_length, 102u);
  EXPECT_EQ(tokens.ids.front(), 49406);
  EXPECT_EQ(tokens.ids.back(), 49407);
  EXPECT_EQ(tokens.ids[75], tokens.ids[1]);  // still "word"

  const ClipTokens fits = tokenizer().tokenize("a shark");
  EXPECT_FALSE(fits.truncated());
  EXPECT_EQ(fits.untruncated_length, 4u);
  EXPECT_EQ(std::vector<int32_t>(fits.ids.begin(), fits.ids.begin() + 5),
            (std::vector<int32_t>{49406, 320, 7980, 49407, 0}));

  // Exactly the context: 75 BPE ids plus start and end still fit.
  std::string exact;
  for (int i = 0; i < 75; ++i) exact += "a ";
  EXPECT_FALSE(tokenizer().tokenize(exact).truncated());
  EXPECT_TRUE(tokenizer().tokenize(exact + "a").truncated());
}

TEST(ClipTokenizer, VocabularyAndSpecialTokens) {
  EXPECT_EQ(tokenizer().vocabulary_size(), ClipTokenizer::kVocabularySize);
  EXPECT_EQ(tokenizer().start_token(), 49406);
  EXPECT_EQ(tokenizer().end_token(), 49407);
  const ClipTokens empty = tokenizer().tokenize("");
  EXPECT_EQ(empty.untruncated_length, 2u);
  EXPECT_EQ(empty.ids[0], 49406);
  EXPECT_EQ(empty.ids[1], 49407);
  EXPECT_EQ(empty.ids[2], 0);
  EXPECT_TRUE(tokenizer().encode("  \t\n ").empty());
  EXPECT_THROW(tokenizer().tokenize("a", 1), ClipTokenizerError);
}

// Expected ids from the official SimpleTokenizer (ftfy as identity, as in the golden files).
TEST(ClipTokenizer, TrickyTextMatchesTheOfficialTokenizer) {
  struct Case {
    std::string text;
    std::vector<int32_t> ids;
  };
  const std::vector<Case> cases = {
      {"it'\305\277 OK", {585, 6, 129, 379, 2481}},  // U+017F matches 's under IGNORECASE
      {"\316\237\316\224\316\237\316\243 \316\243\316\221",
       {138, 123, 138, 112, 138, 123, 139, 480, 139, 225, 138, 365}},
      {"\304\260stanbul", {328, 16384, 11231}},  // U+0130 lowercases to i + U+0307
      {"a <|endoftext|> b", {320, 49407, 321}},
      {"!<|endoftext|>", {0, 27, 347, 40786, 4160, 91, 285}},
      {"a\315\205b", {320, 321}},            // U+0345 matches no alternative of the pattern
      {"&amp;amp; &lt;3", {261, 283, 274}},  // unescaped twice
      {"x\034y\342\200\250z\343\200\200w", {343, 472, 344, 345, 342}},
      {"\302\240 nbsp \302\240", {6459, 4393}},
      {"Caf\303\251 \360\237\230\200\360\237\230\200!", {15304, 12832, 12832, 256}},
      {"1234567", {272, 273, 274, 275, 276, 277, 278}},
      {"ffi \357\254\201 \342\205\247 \302\275", {1021, 328, 171, 105, 479, 158, 227, 371, 33613}},
  };
  for (const Case& c : cases) EXPECT_EQ(tokenizer().encode(c.text), c.ids) << c.text;
}

TEST(ClipTokenizer, DecodeInvertsEncode) {
  EXPECT_EQ(tokenizer().decode(tokenizer().encode("A Red Chair, 3.5 m!")), "a red chair , 3 . 5 m ! ");
  EXPECT_EQ(tokenizer().decode(tokenizer().encode("caf\303\251 \360\237\220\261")), "caf\303\251 \360\237\220\261 ");
  EXPECT_EQ(tokenizer().decode({49406, 320, 49407}), "<|startoftext|>a <|endoftext|>");
  EXPECT_THROW(tokenizer().decode({49408}), ClipTokenizerError);
  EXPECT_THROW(tokenizer().decode({-1}), ClipTokenizerError);
}

TEST(ClipTokenizer, InvalidUtf8ReadsAsReplacementCharacters) {
  EXPECT_EQ(tokenizer().encode("a\xff"
                               "b"),
            tokenizer().encode("a\357\277\275b"));
  EXPECT_EQ(clip_detail::decode_utf8("\xe2\x82"
                                     "a\xc0\xaf\xed\xa0\x80"),
            (std::u32string{0xFFFD, U'a', 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD}));
}

TEST(ClipTokenizer, LongWordsStayFast) {
  const std::string word(200000, 'a');
  const auto start = std::chrono::steady_clock::now();
  const ClipTokens tokens = tokenizer().tokenize(word + " cat");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(tokens.truncated());
  EXPECT_GT(tokens.untruncated_length, 1000u);
  EXPECT_LT(seconds, 5.0);
}

TEST(ClipTokenizer, MissingOrCorruptVocabularyIsAClearError) {
  try {
    ClipTokenizer("/nonexistent/bpe.txt.gz");
    FAIL() << "no error";
  } catch (const ClipTokenizerError& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/bpe.txt.gz"), std::string::npos) << error.what();
  }
  const auto path = std::filesystem::temp_directory_path() / ("clip_bad_vocab_" + std::to_string(::getpid()) + ".txt");
  {
    std::ofstream out(path);
    out << "#version: 0.2\ni n\nt h\n";  // plain text reads fine through gzread, but is far too short
  }
  try {
    ClipTokenizer tokenizer(path);
    FAIL() << "no error";
  } catch (const ClipTokenizerError& error) {
    EXPECT_NE(std::string(error.what()).find("merges"), std::string::npos) << error.what();
  }
  std::filesystem::remove(path);
}

// --- text cleaning: Python's html.unescape, str.lower and the regex module's classes ---

TEST(ClipTextCleaning, HtmlUnescapeMatchesPython) {
  // Expected values from Python 3.11's html.unescape.
  const std::vector<std::pair<std::u32string, std::u32string>> cases = {
      {U"&amp;", U"&"},
      {U"&AMP", U"&"},
      {U"&ampx", U"&x"},
      {U"&amp;lt;", U"&lt;"},
      {U"&#65;", U"A"},
      {U"&#x41;", U"A"},
      {U"&#X1F600;", U"\U0001f600"},
      {U"&#0;", U"\U0000fffd"},
      {U"&#128;", U"\U000020ac"},
      {U"&#x9f;", U"\U00000178"},
      {U"&#13;", U"\015"},
      {U"&#1;", U""},
      {U"&#xD800;", U"\U0000fffd"},
      {U"&#99999999999999999999;", U"\U0000fffd"},
      {U"&#xFFFE;", U""},
      {U"&#", U"&#"},
      {U"&#x", U"&#x"},
      {U"&#;", U"&#;"},
      {U"&notit;", U"\U000000acit;"},
      {U"&noti", U"\U000000aci"},
      {U"&;", U"&;"},
      {U"& ", U"& "},
      {U"&&amp;", U"&&"},
      {U"&lt;b&gt;", U"<b>"},
      {U"&eacute", U"\U000000e9"},
      {U"&fjlig;", U"fj"},
      {U"&acE;", U"\U0000223e\U00000333"},
      {U"&NotNestedGreaterGreater;", U"\U00002aa2\U00000338"},
      {U"a&b", U"a&b"},
      {U"&abcdefghijklmnopqrstuvwxyzabcdefghij;", U"&abcdefghijklmnopqrstuvwxyzabcdefghij;"},
      {U"&#0065", U"A"},
      {U"&#x110000;", U"\U0000fffd"},
      {U"&#x10FFFF;", U""},
      {U"&#x0d;", U"\015"},
  };
  for (const auto& [input, expected] : cases) {
    EXPECT_EQ(clip_detail::html_unescape(input), expected) << clip_detail::encode_utf8(input);
  }
}

TEST(ClipTextCleaning, CleanTextMatchesPython) {
  using clip_detail::clean_text;
  EXPECT_EQ(clean_text(U"  Hello\t\tWORLD \n"), U"hello world");
  EXPECT_EQ(clean_text(U"\x1c a \x1f"), U"a");    // str.strip() also strips U+001C..U+001F
  EXPECT_EQ(clean_text(U"a\x1c b"), U"a\x1c b");  // ... but \s does not collapse them
  EXPECT_EQ(clean_text(U"a\u3000\u2028b"), U"a b");
  EXPECT_EQ(clean_text(U"\u039f\u0394\u039f\u03a3 \u03a3\u0391"),
            U"\u03bf\u03b4\u03bf\u03c2 \u03c3\u03b1");  // final sigma
  EXPECT_EQ(clean_text(U"\u0130"), U"i\u0307");
  EXPECT_EQ(clean_text(U"\u01c5"), U"\u01c6");
  EXPECT_EQ(clean_text(U"&amp;lt;"), U"<");
}

TEST(ClipTextCleaning, SplitWordsFollowsThePattern) {
  using clip_detail::split_words;
  EXPECT_EQ(split_words(U"don't won't it's i'm we're they've i'll i'd"),
            (std::vector<std::u32string>{U"don", U"'t", U"won", U"'t", U"it", U"'s", U"i", U"'m", U"we", U"'re",
                                         U"they", U"'ve", U"i", U"'ll", U"i", U"'d"}));
  EXPECT_EQ(split_words(U"3.14 abc123 !?; 'q'"),
            (std::vector<std::u32string>{U"3", U".", U"1", U"4", U"abc", U"1", U"2", U"3", U"!?;", U"'", U"q", U"'"}));
  EXPECT_EQ(split_words(U"<|startoftext|>x<|endoftext|>"),
            (std::vector<std::u32string>{U"<|startoftext|>", U"x", U"<|endoftext|>"}));
  EXPECT_EQ(split_words(U"\u732b\u304c\u3044\u308b \u2167\u00bd"),
            (std::vector<std::u32string>{U"\u732b\u304c\u3044\u308b", U"\u2167", U"\u00bd"}));
}

}  // namespace
}  // namespace shape
