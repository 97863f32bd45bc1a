// Corrupted checkpoints: truncations, bit flips and random mutations of the golden files must load
// or throw CheckpointError, never crash, hang or throw anything else. Run under ASan/UBSan too.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "inference/checkpoint/checkpoint.h"
#include "inference/checkpoint/checkpoint_loader.h"
#include "inference/checkpoint/zip_archive.h"
#include "tests/inference/checkpoint_test_util.h"

namespace shape {
namespace {

using namespace checkpoint_test;

struct Outcomes {
  int loaded = 0;
  int rejected = 0;
};

bool same_tensors(const StateDict& a, const StateDict& b) {
  if (a.keys() != b.keys()) return false;
  for (const std::string& name : a.keys()) {
    const torch::Tensor& x = a.at(name);
    const torch::Tensor& y = b.at(name);
    if (x.scalar_type() != y.scalar_type() || x.sizes() != y.sizes() || !x.equal(y)) return false;
  }
  return true;
}

// Loads `bytes` (through a temp file when `dir` is given, else from memory). Any exception other
// than CheckpointError fails the test. If `original` is given, a successful load must equal it.
bool load_candidate(const std::string& bytes, Outcomes& outcomes, const std::string& what, const TempDir* dir = nullptr,
                    const StateDict* original = nullptr) {
  try {
    const StateDict loaded = dir ? load_checkpoint(dir->write("candidate.pt", bytes))
                                 : checkpoint_detail::load_checkpoint_from_memory(bytes.data(), bytes.size(), what);
    for (const std::string& name : loaded.keys()) {
      EXPECT_TRUE(loaded.at(name).defined() && loaded.at(name).is_contiguous()) << what << " / " << name;
    }
    if (original != nullptr) {
      EXPECT_TRUE(same_tensors(loaded, *original)) << what << " loaded different data";
    }
    ++outcomes.loaded;
    return true;
  } catch (const CheckpointError&) {
    ++outcomes.rejected;
    return false;
  } catch (const std::exception& error) {
    ADD_FAILURE() << what << ": threw a non-CheckpointError: " << error.what();
  } catch (...) {
    ADD_FAILURE() << what << ": threw a non-exception";
  }
  return false;
}

const std::vector<std::string> kGoldenFiles{"decoder.state_dict.pt", "views.pt", "decoder.safetensors",
                                            "decoder.state_dict.fp16.pt"};

TEST(CheckpointFuzz, EveryTruncationIsRejected) {
  TempDir dir;
  for (const std::string& file : kGoldenFiles) {
    const std::string bytes = read_file(golden_loader_file(file));
    std::vector<size_t> cuts;
    for (size_t k = 0; k < 64; ++k) cuts.push_back(bytes.size() * k / 64);
    for (size_t back = 1; back <= 32 && back <= bytes.size(); ++back) cuts.push_back(bytes.size() - back);
    if (bytes.size() < 4096) {
      for (size_t cut = 0; cut < bytes.size(); ++cut) cuts.push_back(cut);
    }
    Outcomes outcomes;
    for (const size_t cut : cuts) {
      const std::string what = file + " cut to " + std::to_string(cut) + " bytes";
      EXPECT_FALSE(load_candidate(bytes.substr(0, cut), outcomes, what, cut % 3 == 0 ? &dir : nullptr)) << what;
    }
  }
}

TEST(CheckpointFuzz, SingleBitFlipsAreCaughtOrHarmless) {
  std::mt19937 random(1234);
  for (const std::string& file : kGoldenFiles) {
    const std::string bytes = read_file(golden_loader_file(file));
    const bool zip = file.size() > 3 && file.substr(file.size() - 3) == ".pt";
    const StateDict original = load_checkpoint(golden_loader_file(file));
    // Every byte of the structure (pickle or JSON header at the start, directory at the end), and a
    // sample of the data in between.
    std::vector<size_t> positions;
    for (size_t i = 0; i < bytes.size(); ++i) {
      if (i < 9000 || i + 8000 >= bytes.size() || i % 997 == 0) positions.push_back(i);
    }
    Outcomes outcomes;
    for (const size_t position : positions) {
      std::string flipped = bytes;
      const int bit = static_cast<int>(random() % 8);
      flipped[position] = static_cast<char>(flipped[position] ^ (1 << bit));
      const std::string what =
          file + " with bit " + std::to_string(bit) + " of byte " + std::to_string(position) + " flipped";
      // The zip records are CRC-checked, so a flip that still loads must have hit an unused field.
      // safetensors has no checksum: a flip in the data loads different values, which is fine.
      load_candidate(flipped, outcomes, what, nullptr, zip ? &original : nullptr);
    }
    std::printf("[ bit flips ] %s: %zu flips, %d loaded, %d rejected\n", file.c_str(), positions.size(),
                outcomes.loaded, outcomes.rejected);
  }
}

// Random byte overwrites, truncations, insertions and chunk duplications, biased toward the
// structural parts of the file.
std::string mutate(const std::string& original, std::mt19937& random) {
  std::string bytes = original;
  const auto uniform = [&](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(random() % n); };
  const auto position = [&] {
    const size_t size = bytes.size();
    switch (uniform(3)) {
      case 0: return uniform(std::min<size_t>(size, 16384) + 1);
      case 1: return size - uniform(std::min<size_t>(size, 8192) + 1);
      default: return uniform(size + 1);
    }
  };
  const size_t mutations = 1 + uniform(3);
  for (size_t m = 0; m < mutations; ++m) {
    switch (uniform(4)) {
      case 0: {  // overwrite
        const size_t at = position();
        const size_t count = 1 + uniform(8);
        for (size_t i = at; i < at + count && i < bytes.size(); ++i) bytes[i] = static_cast<char>(random());
        break;
      }
      case 1:  // truncate
        bytes.resize(position());
        break;
      case 2: {  // insert random bytes
        std::string inserted(1 + uniform(32), '\0');
        for (char& c : inserted) c = static_cast<char>(random());
        bytes.insert(position(), inserted);
        break;
      }
      default: {  // duplicate a chunk elsewhere
        const size_t from = position();
        const std::string chunk = bytes.substr(std::min(from, bytes.size()), 1 + uniform(2048));
        bytes.insert(position(), chunk);
        break;
      }
    }
  }
  return bytes;
}

TEST(CheckpointFuzz, RandomMutationsLoadOrThrowCheckpointError) {
  const auto start = std::chrono::steady_clock::now();
  std::mt19937 random(20240611);
  TempDir dir;
  int total = 0;
  for (const std::string file : {"decoder.state_dict.pt", "views.pt", "decoder.safetensors"}) {
    const std::string bytes = read_file(golden_loader_file(file));
    Outcomes outcomes;
    for (int i = 0; i < 800; ++i, ++total) {
      const std::string what = file + " mutation #" + std::to_string(i);
      load_candidate(mutate(bytes, random), outcomes, what, i % 16 == 0 ? &dir : nullptr);
    }
    std::printf("[ mutations ] %s: %d loaded, %d rejected\n", file.c_str(), outcomes.loaded, outcomes.rejected);
  }
  EXPECT_GE(total, 2000);
  std::printf("[ mutations ] %d files in %.1f s\n", total,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

// The CRC stops most mutations before the pickle is parsed. Here the pickle is mutated and the zip
// rebuilt with valid CRCs, so the restricted unpickler itself meets the corrupt bytes.
TEST(CheckpointFuzz, PickleMutationsBehindValidCrcs) {
  std::mt19937 random(99);
  int total = 0;
  for (const std::string file : {"views.pt", "decoder.state_dict.pt"}) {
    const std::string bytes = read_file(golden_loader_file(file));
    const checkpoint_detail::MemoryByteSource source(bytes.data(), bytes.size());
    const checkpoint_detail::ZipArchive archive(source);
    std::vector<ZipRecord> records;
    size_t pickle_index = 0;
    for (const auto& entry : archive.entries()) {
      const std::vector<uint8_t> data = archive.read(entry, bytes.size());
      if (entry.name.size() >= 8 && entry.name.substr(entry.name.size() - 8) == "data.pkl")
        pickle_index = records.size();
      records.push_back({entry.name, std::string(data.begin(), data.end())});
    }
    const std::string pickle = records[pickle_index].data;
    Outcomes outcomes;
    for (int i = 0; i < 1200; ++i, ++total) {
      std::string mutated = pickle;
      const size_t edits = 1 + random() % 4;
      for (size_t e = 0; e < edits && !mutated.empty(); ++e) {
        const size_t at = random() % mutated.size();
        switch (random() % 3) {
          case 0: mutated[at] = static_cast<char>(random()); break;
          case 1: mutated.erase(at, 1 + random() % 8); break;
          default: mutated.insert(at, mutated.substr(random() % mutated.size(), 1 + random() % 64)); break;
        }
      }
      records[pickle_index].data = mutated;
      load_candidate(make_zip(records), outcomes, file + " pickle mutation #" + std::to_string(i));
    }
    std::printf("[ pickle mutations ] %s: %d loaded, %d rejected\n", file.c_str(), outcomes.loaded, outcomes.rejected);
  }
  EXPECT_GE(total, 2000);
}

}  // namespace
}  // namespace shape
