#include "inference/checkpoint/byte_source.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <system_error>

#include "inference/checkpoint/checked_arithmetic.h"
#include "inference/checkpoint/format_error.h"

namespace shape::checkpoint_detail {
void check_source_range(uint64_t offset, size_t count, uint64_t size) {
  if (!range_fits(offset, count, size)) {
    throw FormatError("truncated file: needs bytes " + std::to_string(offset) + ".." +
                      std::to_string(offset + static_cast<uint64_t>(count)) + " but the file has " +
                      std::to_string(size) + " bytes");
  }
}

std::shared_ptr<const uint8_t> ByteSource::view(uint64_t offset, size_t count) const {
  check_source_range(offset, count, size());
  return nullptr;
}

std::vector<uint8_t> ByteSource::read_vector(uint64_t offset, size_t count) const {
  check_source_range(offset, count, size());  // before allocating: `count` may come from a corrupt header
  std::vector<uint8_t> bytes(count);
  read(offset, bytes.data(), count);
  return bytes;
}

uint64_t regular_file_size(const std::filesystem::path& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (error || !std::filesystem::exists(status)) throw FormatError("file does not exist");
  if (std::filesystem::is_directory(status)) throw FormatError("is a directory, not a checkpoint file");
  if (!std::filesystem::is_regular_file(status)) throw FormatError("is not a regular file");
  const uint64_t size = std::filesystem::file_size(path, error);
  if (error) throw FormatError("cannot read the file size: " + error.message());
  return size;
}

FileByteSource::FileByteSource(const std::filesystem::path& path) : size_(regular_file_size(path)) {
  stream_.open(path, std::ios::binary);
  if (!stream_) throw FormatError("cannot open the file for reading");
}

void FileByteSource::read(uint64_t offset, void* destination, size_t count) const {
  check_source_range(offset, count, size_);
  stream_.clear();
  stream_.seekg(static_cast<std::streamoff>(offset));
  auto* out = static_cast<char*>(destination);
  // Chunked so every request fits in std::streamsize whatever the platform.
  constexpr size_t kChunk = size_t{1} << 28;
  while (count > 0 && stream_) {
    const size_t chunk = std::min(count, kChunk);
    stream_.read(out, static_cast<std::streamsize>(chunk));
    if (static_cast<size_t>(stream_.gcount()) != chunk) break;
    out += chunk;
    count -= chunk;
  }
  if (count != 0) {
    throw FormatError("read error at byte " + std::to_string(offset) + " (file changed or unreadable)");
  }
}

void MemoryByteSource::read(uint64_t offset, void* destination, size_t count) const {
  check_source_range(offset, count, size_);
  if (count != 0) std::memcpy(destination, data_ + offset, count);
}

SharedBufferByteSource::SharedBufferByteSource(const void* data, size_t size)
    : bytes_(std::make_shared<const std::vector<uint8_t>>(static_cast<const uint8_t*>(data),
                                                          static_cast<const uint8_t*>(data) + size)) {}

void SharedBufferByteSource::read(uint64_t offset, void* destination, size_t count) const {
  check_source_range(offset, count, bytes_->size());
  if (count != 0) std::memcpy(destination, bytes_->data() + offset, count);
}

std::shared_ptr<const uint8_t> SharedBufferByteSource::view(uint64_t offset, size_t count) const {
  check_source_range(offset, count, bytes_->size());
  return std::shared_ptr<const uint8_t>(bytes_, bytes_->data() + offset);
}

}  // namespace shape::checkpoint_detail
