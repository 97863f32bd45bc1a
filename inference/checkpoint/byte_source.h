// Random access to the bytes of a checkpoint: a file mapped into memory (mapped_file.h), a file read
// piecewise (where it cannot be mapped; multi-GB checkpoints are never held in one buffer), or a
// buffer in memory (tests and fuzzing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

namespace shape::checkpoint_detail {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // Copies exactly `count` bytes starting at `offset` into `destination`. Throws FormatError if the
  // range is not inside the source or the read fails.
  virtual void read(uint64_t offset, void* destination, size_t count) const = 0;
  // The bytes [offset, offset + count) in place, valid for as long as the returned pointer (or a
  // copy of it) lives, without copying them; nullptr where the source cannot lend its bytes (then
  // read() them). Throws FormatError if the range is not inside the source.
  virtual std::shared_ptr<const uint8_t> view(uint64_t offset, size_t count) const;

  std::vector<uint8_t> read_vector(uint64_t offset, size_t count) const;
};

// Throws FormatError ("truncated file: ...") unless [offset, offset + count) lies inside a source of
// `size` bytes.
void check_source_range(uint64_t offset, size_t count, uint64_t size);

// Throws FormatError unless `path` is a regular file (missing, a directory, ...); returns its size.
uint64_t regular_file_size(const std::filesystem::path& path);

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

// Does not own the bytes; they must outlive the source. Lends no views (it cannot keep them alive).
class MemoryByteSource final : public ByteSource {
 public:
  MemoryByteSource(const void* data, size_t size) : data_(static_cast<const uint8_t*>(data)), size_(size) {}
  uint64_t size() const override { return size_; }
  void read(uint64_t offset, void* destination, size_t count) const override;

 private:
  const uint8_t* data_;
  size_t size_;
};

// Its own copy of a buffer, lent as views that keep it alive: the in-memory counterpart of a mapped
// file, so tests and the fuzzer reach the code that builds tensors over a file's bytes.
class SharedBufferByteSource final : public ByteSource {
 public:
  SharedBufferByteSource(const void* data, size_t size);
  uint64_t size() const override { return bytes_->size(); }
  void read(uint64_t offset, void* destination, size_t count) const override;
  std::shared_ptr<const uint8_t> view(uint64_t offset, size_t count) const override;

 private:
  std::shared_ptr<const std::vector<uint8_t>> bytes_;
};

}  // namespace shape::checkpoint_detail
