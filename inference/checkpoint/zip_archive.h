// A minimal reader for the zip container of torch.save files: central directory (with zip64),
// local headers, and "stored" (uncompressed) entries only, every read verified by CRC-32 (tensor
// records are read in place by StoredTensors, which checks them with check_crc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "inference/checkpoint/byte_source.h"

namespace shape::checkpoint_detail {

struct ZipEntry {
  std::string name;
  uint64_t local_header_offset = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;  // uncompressed
  uint32_t crc32 = 0;
  uint16_t method = 0;  // 0 = stored
  uint16_t flags = 0;
};

class ZipArchive {
 public:
  // Parses the end-of-central-directory records and the central directory. Throws FormatError.
  // `source` must outlive the archive.
  explicit ZipArchive(const ByteSource& source);

  // In central-directory order.
  const std::vector<ZipEntry>& entries() const { return entries_; }
  // nullptr if there is no entry with exactly this name.
  const ZipEntry* find(std::string_view name) const;

  // The whole entry in memory; refuses entries larger than `max_size` before allocating.
  std::vector<uint8_t> read(const ZipEntry& entry, uint64_t max_size) const;
  // Validates the local header (and that the entry is stored, unencrypted and inside the entry
  // area) and returns where the entry's `entry.size` bytes start in the source.
  uint64_t data_offset(const ZipEntry& entry) const;
  // Throws FormatError naming the entry unless `data` (its `entry.size` bytes, e.g. a view of the
  // source) has the CRC-32 the directory records.
  static void check_crc(const ZipEntry& entry, const uint8_t* data);

 private:

  const ByteSource& source_;
  uint64_t central_directory_offset_ = 0;  // entry data must lie before it
  std::vector<ZipEntry> entries_;
  std::unordered_map<std::string, size_t> index_by_name_;
};

}  // namespace shape::checkpoint_detail
