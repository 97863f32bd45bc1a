#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "inference/weights/sha256.h"
#include "tests/inference/weights_test_util.h"

namespace shape {
namespace {

TEST(WeightsSha256Test, MatchesTheStandardTestVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(WeightsSha256Test, IncrementalUpdatesEqualOneShot) {
  const std::string bytes = testing::test_payload(100000);
  Sha256 hasher;
  hasher.update(bytes.substr(0, 1));
  hasher.update(bytes.substr(1, 4095));
  hasher.update(bytes.substr(4096));
  EXPECT_EQ(hasher.hex_digest(), sha256_hex(bytes));
}

TEST(WeightsSha256Test, HashesFilesWithProgressAndCancellation) {
  testing::ScratchDirectory scratch;
  const auto path = scratch.path() / "data.bin";
  const std::string bytes = testing::test_payload(3 * 1024 * 1024 + 17);
  testing::write_file(path, bytes);

  std::uint64_t last_done = 0, last_total = 0;
  EXPECT_EQ(sha256_of_file(path,
                           [&](std::uint64_t done, std::uint64_t total) {
                             EXPECT_GE(done, last_done);
                             last_done = done;
                             last_total = total;
                           }),
            sha256_hex(bytes));
  EXPECT_EQ(last_done, bytes.size());
  EXPECT_EQ(last_total, bytes.size());

  std::atomic<bool> cancel{true};
  EXPECT_THROW(sha256_of_file(path, nullptr, &cancel), HashingCancelled);
}

TEST(WeightsSha256Test, UnreadableFileErrorNamesThePath) {
  try {
    sha256_of_file("/nonexistent/shape-studio/model.pt");
    FAIL();
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/shape-studio/model.pt"), std::string::npos);
  }
}

TEST(WeightsSha256Test, RecognisesHexDigests) {
  EXPECT_TRUE(is_sha256_hex(sha256_hex("x")));
  EXPECT_TRUE(is_sha256_hex("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
  EXPECT_FALSE(is_sha256_hex("e3b0"));
  EXPECT_FALSE(is_sha256_hex(std::string(64, 'g')));
}

}  // namespace
}  // namespace shape
