// Shared helpers of the Weights* tests: scratch folders, payloads, fast download options.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "inference/weights/downloader.h"

namespace shape::testing {

// A fresh folder under the system temp dir, removed with everything in it at the end of the test.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("shape-weights-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Deterministic incompressible bytes, so that a wrong offset shows up as a wrong hash.
inline std::string test_payload(std::size_t size, std::uint32_t seed = 1) {
  std::mt19937 random(seed);
  std::string bytes(size, '\0');
  for (auto& byte : bytes) byte = static_cast<char>(random() & 0xff);
  return bytes;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Short timeouts and no retry pause: a misbehaving test server fails a test in seconds, never hangs.
inline DownloadOptions fast_download_options() {
  DownloadOptions options;
  options.connect_timeout = std::chrono::seconds(3);
  options.stall_timeout = std::chrono::seconds(2);
  options.stall_bytes_per_second = 1;
  options.retry_delay = std::chrono::milliseconds(0);
  options.progress_interval = std::chrono::milliseconds(0);
  return options;
}

}  // namespace shape::testing
