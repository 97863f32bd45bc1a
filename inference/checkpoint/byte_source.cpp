#include "inference/checkpoint/byte_source.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <system_error>

#include "inference/checkpoint/checked_arithmetic.h"
#include "inference/checkpoint/format_error.h"

namespace shape::checkpoint_detail {
namespace {

void check_range(uint64_t offset, size_t count, uint64_t size) {
  if (!range_fits(offset, count, size)) {
    throw FormatError("truncated file: needs bytes " + std::to_string(offset) + ".." +
                      std::to_string(offset + static_cast<uint64_t>(count)) + " but the file has " +
                      std::to_string(size) + " bytes");
  }
}

}  // namespace

std::vector<uint8_t> ByteSource::read_vector(uint64_t offset, size_t count) const {
  check_range(offset, count, size());  // before allocating: `count` may come from a corrupt header
  std::vector<uint8_t> bytes(count);
  read(offset, bytes.data(), count);
  return bytes;
}

FileByteSource::FileByteSource(const std::filesystem::path& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (error || !std::filesystem::exists(status)) throw FormatError("file does not exist");
  if (std::filesystem::is_directory(status)) throw FormatError("is a directory, not a checkpoint file");
  if (!std::filesystem::is_regular_file(status)) throw FormatError("is not a regular file");
  size_ = std::filesystem::file_size(path, error);
  if (error) throw FormatError("cannot read the file size: " + error.message());
  stream_.open(path, std::ios::binary);
  if (!stream_) throw FormatError("cannot open the file for reading");
}

void FileByteSource::read(uint64_t offset, void* destination, size_t count) const {
  check_range(offset, count, size_);
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
  check_range(offset, count, size_);
  if (count != 0) std::memcpy(destination, data_ + offset, count);
}

}  // namespace shape::checkpoint_detail
