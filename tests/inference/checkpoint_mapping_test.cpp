// Loading without copies: the fast CRC-32, tensors built over the memory-mapped file (equal to
// copied ones, copy-on-write, pages given back when dropped), open_checkpoint reading only what is
// asked for, and a file truncated under a loaded model ending the process with a message.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "inference/checkpoint/byte_source.h"
#include "inference/checkpoint/checkpoint.h"
#include "inference/checkpoint/checkpoint_loader.h"
#include "inference/checkpoint/crc32.h"
#include "inference/checkpoint/stored_tensors.h"
#include "tests/inference/checkpoint_test_util.h"

namespace shape {
namespace {

using namespace checkpoint_test;

// The file a mapping at `address` shows (from /proc/self/maps): "" or a [pseudo-name] for anonymous
// memory.
std::string mapped_file_at(const void* address) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  const auto target = reinterpret_cast<uintptr_t>(address);
  while (std::getline(maps, line)) {
    std::istringstream fields(line);
    std::string range, permissions, offset, device, inode, path;
    fields >> range >> permissions >> offset >> device >> inode;
    std::getline(fields >> std::ws, path);
    const size_t dash = range.find('-');
    const uintptr_t begin = std::stoull(range.substr(0, dash), nullptr, 16);
    const uintptr_t end = std::stoull(range.substr(dash + 1), nullptr, 16);
    if (target >= begin && target < end) return path;
  }
  return "";
}

// Resident kB of the mappings of `path` (/proc/self/smaps).
int64_t resident_kib_of_file(const std::filesystem::path& path) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  int64_t total = 0;
  const std::string name = std::filesystem::canonical(path).string();
  while (std::getline(smaps, line)) {
    if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) && line.find('-') < line.find(' ')) {
      inside = line.size() >= name.size() && line.compare(line.size() - name.size(), name.size(), name) == 0;
    } else if (inside && line.rfind("Rss:", 0) == 0) {
      total += std::stoll(line.substr(4));
    }
  }
  return total;
}

// A .safetensors file of float32 tensors whose data starts `misalignment` bytes after a 64-byte
// boundary (the header is padded with spaces, which JSON allows).
std::string aligned_safetensors(const std::vector<std::pair<std::string, std::vector<float>>>& tensors,
                                size_t misalignment = 0) {
  std::string header = "{";
  std::string data;
  for (const auto& [name, values] : tensors) {
    if (header.size() > 1) header += ",";
    header += "\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[" + std::to_string(values.size()) +
              "],\"data_offsets\":[" + std::to_string(data.size()) + "," +
              std::to_string(data.size() + 4 * values.size()) + "]}";
    data += raw_bytes(values);
  }
  header += "}";
  while ((8 + header.size()) % 64 != misalignment) header += " ";
  return safetensors_file(header, data);
}

// The same bytes with one byte of tensor `name`'s record flipped: a CRC-32 mismatch in a zip.
std::string corrupt_tensor(const std::string& bytes, const std::string& name) {
  const auto stored = checkpoint_detail::index_checkpoint(
      std::make_shared<checkpoint_detail::SharedBufferByteSource>(bytes.data(), bytes.size()));
  for (size_t i = 0; i < stored->tensors().size(); ++i) {
    if (stored->tensors()[i].name != name) continue;
    std::string corrupt = bytes;
    corrupt[stored->record_of(i).offset] ^= 0x40;
    return corrupt;
  }
  throw std::runtime_error("no tensor " + name);
}

TEST(Crc32, MatchesZlibForEveryLengthAlignmentAndContinuation) {
  std::mt19937 random(5);
  std::vector<uint8_t> bytes(70000);
  for (auto& byte : bytes) byte = static_cast<uint8_t>(random());
  for (size_t size = 0; size < 600; ++size) {
    for (size_t offset = 0; offset < 4; ++offset) {
      for (const uint32_t start : {0u, 0x9a3c51e7u}) {
        ASSERT_EQ(checkpoint_detail::crc32_update(start, bytes.data() + offset, size),
                  checkpoint_detail::crc32_update_zlib(start, bytes.data() + offset, size))
            << size << " bytes at +" << offset;
      }
    }
  }
  const uint32_t whole = checkpoint_detail::crc32_update(0, bytes.data(), bytes.size());
  EXPECT_EQ(whole, checkpoint_detail::crc32_update_zlib(0, bytes.data(), bytes.size()));
  for (const size_t split : {1u, 63u, 64u, 65u, 4097u, 69999u}) {
    const uint32_t first = checkpoint_detail::crc32_update(0, bytes.data(), split);
    EXPECT_EQ(checkpoint_detail::crc32_update(first, bytes.data() + split, bytes.size() - split), whole) << split;
  }
  const std::string check = "123456789";  // the standard check value of CRC-32/ISO-HDLC
  std::string repeated;
  for (int i = 0; i < 20; ++i) repeated += check;
  EXPECT_EQ(checkpoint_detail::crc32_update(0, reinterpret_cast<const uint8_t*>(check.data()), check.size()),
            0xCBF43926u);
  EXPECT_EQ(checkpoint_detail::crc32_update(0, reinterpret_cast<const uint8_t*>(repeated.data()), repeated.size()),
            crc32_of(repeated));
}

TEST(CheckpointMapping, TensorsOverTheMappingEqualCopiedOnes) {
  for (const std::string file : {"decoder.state_dict.pt", "decoder.state_dict.fp16.pt", "decoder.state_dict.bf16.pt",
                                 "views.pt", "decoder.safetensors", "transformer_text.state_dict.pt"}) {
    SCOPED_TRACE(file);
    const auto path = golden_loader_file(file);
    const StateDict mapped = load_checkpoint(path);
    const std::string bytes = read_file(path);
    // A source that lends no memory: every tensor copied, as before files were mapped.
    const StateDict copied = checkpoint_detail::load_checkpoint_from(
        std::make_shared<checkpoint_detail::MemoryByteSource>(bytes.data(), bytes.size()), file);
    const StateDict opened = open_checkpoint(path);
    ASSERT_EQ(mapped.keys(), copied.keys());
    ASSERT_EQ(opened.keys(), copied.keys());
    int over_the_file = 0;
    for (const std::string& name : copied.keys()) {
      const torch::Tensor& expected = copied.at(name);
      EXPECT_EQ(mapped.sizes(name), expected.sizes()) << name;
      EXPECT_EQ(opened.sizes(name), expected.sizes()) << name;
      EXPECT_EQ(opened.dtype(name), expected.scalar_type()) << name;
      for (const torch::Tensor& tensor : {mapped.at(name), opened.read(name)}) {
        EXPECT_EQ(tensor.scalar_type(), expected.scalar_type()) << name;
        EXPECT_TRUE(tensor.is_contiguous()) << name;
        EXPECT_TRUE(tensor.equal(expected)) << name;
      }
      const std::string file_name = std::filesystem::canonical(path).string();
      if (expected.numel() > 0) EXPECT_NE(mapped_file_at(expected.data_ptr()), file_name) << name;
      if (mapped.at(name).numel() > 0 && mapped_file_at(mapped.at(name).data_ptr()) == file_name) ++over_the_file;
    }
    // torch.save aligns every record to 64 bytes, safetensors' data here to 8: each whole tensor
    // lies in the file's mapping; views.pt's views share storages and are copies of their own.
    if (file == "views.pt") {
      EXPECT_LT(over_the_file, static_cast<int>(copied.size())) << "views must be copies";
    } else {
      EXPECT_EQ(over_the_file, static_cast<int>(copied.size()));
    }
  }
}

TEST(CheckpointMapping, MisalignedDataIsCopied) {
  const TempDir dir;
  const std::vector<float> a{1.5f, -2.0f, 3.25f}, b{7.0f};
  for (const size_t misalignment : {size_t{0}, size_t{1}, size_t{2}}) {
    const auto path = dir.write("t" + std::to_string(misalignment) + ".safetensors",
                                aligned_safetensors({{"a", a}, {"b", b}}, misalignment));
    const StateDict loaded = load_checkpoint(path);
    EXPECT_TRUE(loaded.at("a").equal(torch::tensor(a)));
    EXPECT_TRUE(loaded.at("b").equal(torch::tensor(b)));
    const bool in_file = mapped_file_at(loaded.at("a").data_ptr()) == std::filesystem::canonical(path).string();
    EXPECT_EQ(in_file, misalignment == 0) << misalignment;
  }
}

TEST(CheckpointMapping, WritingIntoALoadedTensorChangesNeitherTheFileNorAReload) {
  const TempDir dir;
  const std::vector<float> values{1, 2, 3, 4};
  const std::string bytes = aligned_safetensors({{"w", values}});
  const auto path = dir.write("w.safetensors", bytes);
  {
    StateDict loaded = load_checkpoint(path);
    ASSERT_EQ(mapped_file_at(loaded.at("w").data_ptr()), std::filesystem::canonical(path).string());
    torch::NoGradGuard no_grad;
    const_cast<torch::Tensor&>(loaded.at("w")).mul_(10);
    EXPECT_TRUE(loaded.at("w").equal(torch::tensor(values) * 10));
    EXPECT_TRUE(load_checkpoint(path).at("w").equal(torch::tensor(values)));  // another mapping
  }
  EXPECT_EQ(read_file(path), bytes);
}

TEST(CheckpointMapping, DroppedTensorsLeaveTheResidentSet) {
  const TempDir dir;
  const std::vector<float> values(size_t{8} << 20, 0.5f);  // 32 MiB
  const auto path = dir.write("big.safetensors", aligned_safetensors({{"big", values}}));
  const StateDict opened = open_checkpoint(path);
  {
    const torch::Tensor big = opened.read("big");
    ASSERT_EQ(big.sum().item<double>(), 0.5 * values.size());  // touches every page
    EXPECT_GE(resident_kib_of_file(path), 24 * 1024);
  }
  // Still mapped (the opened state dict holds it), but no tensor uses those pages any more.
  EXPECT_LE(resident_kib_of_file(path), 1024);
}

TEST(OpenCheckpoint, ReadsOnlyTheTensorsAskedFor) {
  const TempDir dir;
  const std::vector<float> a{1, 2, 3}, b{4, 5};
  const std::string pickle = state_dict_pickle({{"a", "0", 3, {3}, {1}}, {"b", "1", 2, {2}, {1}}});
  const std::string bytes = torch_zip(pickle, {{"0", raw_bytes(a)}, {"1", raw_bytes(b)}});
  const auto path = dir.write("model.pt", corrupt_tensor(bytes, "b"));

  const StateDict opened = open_checkpoint(path);
  EXPECT_EQ(opened.keys(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(opened.sizes("b").vec(), std::vector<int64_t>{2});
  EXPECT_EQ(opened.dtype("b"), torch::kFloat32);
  EXPECT_TRUE(opened.at("a").equal(torch::tensor(a)));
  const std::string message = checkpoint_error_of([&] { opened.at("b"); });
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  EXPECT_NE(message.find("CRC-32 mismatch in zip entry 'archive/data/1'"), std::string::npos) << message;
  // load_checkpoint reads everything, so it refuses the file at once.
  EXPECT_NE(checkpoint_error_of([&] { load_checkpoint(path); }).find("CRC-32 mismatch"), std::string::npos);
}

TEST(OpenCheckpoint, BrokenFilesAreRefusedWhenOpened) {
  const TempDir dir;
  const std::string bytes = read_file(golden_loader_file("decoder.state_dict.pt"));
  const auto truncated = dir.write("truncated.pt", bytes.substr(0, bytes.size() / 2));
  EXPECT_NE(checkpoint_error_of([&] { open_checkpoint(truncated); }).find(truncated.string()), std::string::npos);
  EXPECT_NE(checkpoint_error_of([&] { open_checkpoint(dir.path() / "missing.pt"); }).find("file does not exist"),
            std::string::npos);
  const auto empty = dir.write("empty.pt", "");
  EXPECT_NE(checkpoint_error_of([&] { open_checkpoint(empty); }).find("file is empty"), std::string::npos);
}

// A file truncated on disk while a model uses tensors over its mapping cannot be read any more; the
// process must say which file and end, not crash without a word.
TEST(CheckpointMappingDeathTest, TruncatedWhileLoadedEndsTheProcessNamingTheFile) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const TempDir dir;
  const std::vector<float> values(size_t{1} << 20, 2.0f);  // 4 MiB: many pages
  const auto path = dir.write("loaded.safetensors", aligned_safetensors({{"w", values}}));
  EXPECT_EXIT(
      {
        const StateDict loaded = load_checkpoint(path);
        std::filesystem::resize_file(path, 4096);
        std::printf("%f\n", loaded.at("w").sum().item<double>());
      },
      ::testing::KilledBySignal(SIGBUS), "weights file '.*loaded.safetensors' changed on disk");
}

}  // namespace
}  // namespace shape
