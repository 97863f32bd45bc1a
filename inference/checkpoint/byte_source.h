// Random access to the bytes of a checkpoint: a file on disk (read piecewise, so multi-GB checkpoints
// are never held in one buffer) or a buffer in memory (tests and fuzzing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <vector>

namespace shape::checkpoint_detail {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // Copies exactly `count` bytes starting at `offset` into `destination`. Throws FormatError if the
  // range is not inside the source or the read fails.
  virtual void read(uint64_t offset, void* destination, size_t count) const = 0;

  std::vector<uint8_t> read_vector(uint64_t offset, size_t count) const;
};

// Not thread-safe: reads share one stream position.
class FileByteSource final : public ByteSource {
 public:
  // Throws FormatError if the path is missing, not a regular file, or cannot be opened.
  explicit FileByteSource(const std::filesystem::path& path);
  uint64_t size() const override { return size_; }
  void read(uint64_t offset, void* destination, size_t count) const override;

 private:
  mutable std::ifstream stream_;
  uint64_t size_ = 0;
};

// Does not own the bytes; they must outlive the source.
class MemoryByteSource final : public ByteSource {
 public:
  MemoryByteSource(const void* data, size_t size) : data_(static_cast<const uint8_t*>(data)), size_(size) {}
  uint64_t size() const override { return size_; }
  void read(uint64_t offset, void* destination, size_t count) const override;

 private:
  const uint8_t* data_;
  size_t size_;
};

}  // namespace shape::checkpoint_detail
