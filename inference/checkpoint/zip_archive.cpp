#include "inference/checkpoint/zip_archive.h"

#include <algorithm>

#include "inference/checkpoint/byte_cursor.h"
#include "inference/checkpoint/checked_arithmetic.h"
#include "inference/checkpoint/crc32.h"
#include "inference/checkpoint/format_error.h"

namespace shape::checkpoint_detail {
namespace {

constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr uint32_t kEndOfCentralDirectorySignature = 0x06054b50;
constexpr uint32_t kZip64EndOfCentralDirectorySignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr uint16_t kZip64ExtraFieldId = 0x0001;
constexpr uint16_t kEncryptedFlag = 0x0001;

constexpr size_t kEndOfCentralDirectorySize = 22;
constexpr size_t kZip64LocatorSize = 20;
constexpr size_t kZip64EndOfCentralDirectorySize = 56;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kLocalHeaderSize = 30;
constexpr size_t kMaxCommentSize = 0xFFFF;
// Far above any checkpoint (a few thousand entries); only stops absurd allocations.
constexpr uint64_t kMaxCentralDirectorySize = uint64_t{256} << 20;

struct CentralDirectoryLocation {
  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t entry_count = 0;
  uint64_t end = 0;  // where the end-of-central-directory records start: the directory must end before
};

std::string hex32(uint32_t value) {
  static const char kDigits[] = "0123456789abcdef";
  std::string text = "0x00000000";
  for (int i = 0; i < 8; ++i) text[9 - i] = kDigits[(value >> (4 * i)) & 0xF];
  return text;
}

// The end-of-central-directory record sits at the very end, followed only by its comment.
uint64_t find_end_of_central_directory(const ByteSource& source) {
  const uint64_t file_size = source.size();
  if (file_size < kEndOfCentralDirectorySize) throw FormatError("truncated zip: too small for a zip directory");
  const uint64_t tail_size = std::min<uint64_t>(file_size, kEndOfCentralDirectorySize + kMaxCommentSize);
  const uint64_t tail_start = file_size - tail_size;
  const std::vector<uint8_t> tail = source.read_vector(tail_start, static_cast<size_t>(tail_size));
  for (size_t pos = tail.size() - kEndOfCentralDirectorySize + 1; pos-- > 0;) {
    const uint8_t* record = tail.data() + pos;
    if (record[0] != 'P' || record[1] != 'K' || record[2] != 5 || record[3] != 6) continue;
    const size_t comment_size = record[20] | (size_t{record[21]} << 8);
    if (pos + kEndOfCentralDirectorySize + comment_size == tail.size()) return tail_start + pos;
  }
  throw FormatError("not a valid zip: no end-of-central-directory record (truncated or corrupt file)");
}

CentralDirectoryLocation locate_central_directory(const ByteSource& source) {
  const uint64_t eocd_offset = find_end_of_central_directory(source);
  const std::vector<uint8_t> eocd = source.read_vector(eocd_offset, kEndOfCentralDirectorySize);
  ByteCursor record(eocd.data(), eocd.size(), "zip end of central directory");
  if (record.u32() != kEndOfCentralDirectorySignature) throw FormatError("corrupt zip: bad end-of-central-directory");
  const uint16_t disk = record.u16();
  const uint16_t directory_disk = record.u16();
  const uint16_t entries_on_disk = record.u16();
  CentralDirectoryLocation location;
  location.entry_count = record.u16();
  location.size = record.u32();
  location.offset = record.u32();
  location.end = eocd_offset;

  // A zip64 locator right before the record means the 64-bit values in the zip64 record rule.
  bool zip64 = false;
  if (eocd_offset >= kZip64LocatorSize) {
    const uint64_t locator_offset = eocd_offset - kZip64LocatorSize;
    const std::vector<uint8_t> locator_bytes = source.read_vector(locator_offset, kZip64LocatorSize);
    ByteCursor locator(locator_bytes.data(), locator_bytes.size(), "zip64 locator");
    if (locator.u32() == kZip64LocatorSignature) {
      zip64 = true;
      const uint32_t zip64_disk = locator.u32();
      const uint64_t zip64_offset = locator.u64();
      const uint32_t disk_count = locator.u32();
      if (zip64_disk != 0 || disk_count > 1) throw FormatError("multi-disk zip archives are not supported");
      if (!range_fits(zip64_offset, kZip64EndOfCentralDirectorySize, locator_offset)) {
        throw FormatError("corrupt zip: zip64 end-of-central-directory offset out of range");
      }
      const std::vector<uint8_t> bytes = source.read_vector(zip64_offset, kZip64EndOfCentralDirectorySize);
      ByteCursor zip64_record(bytes.data(), bytes.size(), "zip64 end of central directory");
      if (zip64_record.u32() != kZip64EndOfCentralDirectorySignature) {
        throw FormatError("corrupt zip: bad zip64 end-of-central-directory signature");
      }
      zip64_record.skip(8 + 2 + 2);  // record size, versions
      const uint32_t zip64_this_disk = zip64_record.u32();
      const uint32_t zip64_directory_disk = zip64_record.u32();
      const uint64_t zip64_entries_on_disk = zip64_record.u64();
      location.entry_count = zip64_record.u64();
      location.size = zip64_record.u64();
      location.offset = zip64_record.u64();
      location.end = zip64_offset;
      if (zip64_this_disk != 0 || zip64_directory_disk != 0 || zip64_entries_on_disk != location.entry_count) {
        throw FormatError("multi-disk zip archives are not supported");
      }
    }
  }
  if (!zip64 && (disk != 0 || directory_disk != 0 || entries_on_disk != location.entry_count)) {
    throw FormatError("multi-disk zip archives are not supported");
  }
  if (!range_fits(location.offset, location.size, location.end)) {
    throw FormatError("corrupt zip: central directory (offset " + std::to_string(location.offset) + ", size " +
                      std::to_string(location.size) + ") is out of range");
  }
  if (location.size > kMaxCentralDirectorySize) throw FormatError("zip central directory is implausibly large");
  if (location.entry_count > location.size / kCentralHeaderSize) {
    throw FormatError("corrupt zip: " + std::to_string(location.entry_count) +
                      " entries cannot fit in a central directory of " + std::to_string(location.size) + " bytes");
  }
  return location;
}

// Values saturated to 0xFFFFFFFF (0xFFFF for the disk) in the central header live in the zip64 extra field.
void apply_zip64_extra_field(std::string_view extra, ZipEntry& entry, bool size_saturated,
                             bool compressed_size_saturated, bool offset_saturated) {
  ByteCursor fields(reinterpret_cast<const uint8_t*>(extra.data()), extra.size(),
                    "zip extra field of '" + printable(entry.name) + "'");
  while (fields.remaining() >= 4) {
    const uint16_t id = fields.u16();
    const uint16_t field_size = fields.u16();
    std::string_view body = fields.bytes(field_size);
    if (id != kZip64ExtraFieldId) continue;
    ByteCursor zip64(reinterpret_cast<const uint8_t*>(body.data()), body.size(),
                     "zip64 extra field of '" + printable(entry.name) + "'");
    if (size_saturated) entry.size = zip64.u64();
    if (compressed_size_saturated) entry.compressed_size = zip64.u64();
    if (offset_saturated) entry.local_header_offset = zip64.u64();
    return;
  }
  throw FormatError("corrupt zip: entry '" + printable(entry.name) +
                    "' has 32-bit overflow markers but no zip64 extra field");
}

}  // namespace

ZipArchive::ZipArchive(const ByteSource& source) : source_(source) {
  const CentralDirectoryLocation location = locate_central_directory(source);
  central_directory_offset_ = location.offset;
  const std::vector<uint8_t> directory = source.read_vector(location.offset, static_cast<size_t>(location.size));
  ByteCursor cursor(directory.data(), directory.size(), "zip central directory");
  entries_.reserve(static_cast<size_t>(location.entry_count));
  for (uint64_t i = 0; i < location.entry_count; ++i) {
    if (cursor.u32() != kCentralHeaderSignature) {
      throw FormatError("corrupt zip: bad central directory header signature for entry " + std::to_string(i));
    }
    ZipEntry entry;
    cursor.skip(2 + 2);  // versions
    entry.flags = cursor.u16();
    entry.method = cursor.u16();
    cursor.skip(2 + 2);  // time, date
    entry.crc32 = cursor.u32();
    const uint32_t compressed_size = cursor.u32();
    const uint32_t size = cursor.u32();
    const uint16_t name_size = cursor.u16();
    const uint16_t extra_size = cursor.u16();
    const uint16_t comment_size = cursor.u16();
    const uint16_t start_disk = cursor.u16();
    cursor.skip(2 + 4);  // internal and external attributes
    const uint32_t local_header_offset = cursor.u32();
    entry.name = std::string(cursor.bytes(name_size));
    const std::string_view extra = cursor.bytes(extra_size);
    cursor.skip(comment_size);

    entry.compressed_size = compressed_size;
    entry.size = size;
    entry.local_header_offset = local_header_offset;
    const bool size_saturated = size == 0xFFFFFFFFu;
    const bool compressed_size_saturated = compressed_size == 0xFFFFFFFFu;
    const bool offset_saturated = local_header_offset == 0xFFFFFFFFu;
    if (size_saturated || compressed_size_saturated || offset_saturated) {
      apply_zip64_extra_field(extra, entry, size_saturated, compressed_size_saturated, offset_saturated);
    }
    if (start_disk != 0 && start_disk != 0xFFFF) throw FormatError("multi-disk zip archives are not supported");
    if (!index_by_name_.emplace(entry.name, entries_.size()).second) {
      throw FormatError("corrupt zip: duplicate entry '" + printable(entry.name) + "'");
    }
    entries_.push_back(std::move(entry));
  }
  if (!cursor.at_end()) throw FormatError("corrupt zip: central directory size does not match its entries");
}

const ZipEntry* ZipArchive::find(std::string_view name) const {
  const auto it = index_by_name_.find(std::string(name));
  return it == index_by_name_.end() ? nullptr : &entries_[it->second];
}

uint64_t ZipArchive::data_offset(const ZipEntry& entry) const {
  if (entry.flags & kEncryptedFlag) throw FormatError("zip entry '" + printable(entry.name) + "' is encrypted");
  if (entry.method != 0) {
    throw FormatError("zip entry '" + printable(entry.name) + "' is compressed (method " +
                      std::to_string(entry.method) +
                      "); only stored (uncompressed) entries are supported, as torch.save writes them");
  }
  if (entry.compressed_size != entry.size) {
    throw FormatError("corrupt zip: stored entry '" + printable(entry.name) +
                      "' has different compressed and plain sizes");
  }
  if (!range_fits(entry.local_header_offset, kLocalHeaderSize, central_directory_offset_)) {
    throw FormatError("corrupt zip: local header of '" + printable(entry.name) + "' is out of range");
  }
  const std::vector<uint8_t> header_bytes = source_.read_vector(entry.local_header_offset, kLocalHeaderSize);
  ByteCursor header(header_bytes.data(), header_bytes.size(), "zip local header of '" + printable(entry.name) + "'");
  if (header.u32() != kLocalHeaderSignature) {
    throw FormatError("corrupt zip: bad local header signature for '" + printable(entry.name) + "'");
  }
  header.skip(2 + 2);  // version, flags
  const uint16_t method = header.u16();
  header.skip(2 + 2 + 4 + 4 + 4);  // time, date, crc and sizes (zero when a data descriptor follows)
  const uint16_t name_size = header.u16();
  const uint16_t extra_size = header.u16();
  if (method != entry.method || name_size != entry.name.size()) {
    throw FormatError("corrupt zip: local header of '" + printable(entry.name) +
                      "' disagrees with the central directory");
  }
  const uint64_t name_offset = entry.local_header_offset + kLocalHeaderSize;
  const std::vector<uint8_t> local_name = source_.read_vector(name_offset, name_size);
  if (!std::equal(local_name.begin(), local_name.end(), entry.name.begin(), entry.name.end())) {
    throw FormatError("corrupt zip: local header name differs from the central directory for '" +
                      printable(entry.name) + "'");
  }
  const uint64_t offset = name_offset + name_size + extra_size;
  if (!range_fits(offset, entry.size, central_directory_offset_)) {
    throw FormatError("corrupt zip: data of '" + printable(entry.name) + "' (" + std::to_string(entry.size) +
                      " bytes at offset " + std::to_string(offset) + ") runs past the end of the entry area");
  }
  return offset;
}

void ZipArchive::check_crc(const ZipEntry& entry, const uint8_t* data) {
  const uint32_t crc = crc32_update(0, data, static_cast<size_t>(entry.size));
  if (crc != entry.crc32) {
    throw FormatError("CRC-32 mismatch in zip entry '" + printable(entry.name) + "' (stored " + hex32(entry.crc32) +
                      ", computed " + hex32(crc) + "): the file is corrupt");
  }
}

std::vector<uint8_t> ZipArchive::read(const ZipEntry& entry, uint64_t max_size) const {
  if (entry.size > max_size) {
    throw FormatError("zip entry '" + printable(entry.name) + "' is too large (" + std::to_string(entry.size) +
                      " bytes, limit " + std::to_string(max_size) + ")");
  }
  std::vector<uint8_t> bytes;
  // data_offset() bounds the size by the file size before this allocation.
  const uint64_t offset = data_offset(entry);
  bytes.resize(static_cast<size_t>(entry.size));
  source_.read(offset, bytes.data(), bytes.size());
  check_crc(entry, bytes.data());
  return bytes;
}

}  // namespace shape::checkpoint_detail
