// A checkpoint file mapped into memory, so tensors can be built over its bytes with no copy.
//
// The mapping is private and copy-on-write: writing into a tensor over it (e.g. training from a
// loaded model) changes this process's copy, never the file. Pages are read from the page cache
// when first touched, count in the resident size while mapped, and are given back when the last
// view of their range is dropped (madvise MADV_DONTNEED), so tensors that were read, converted to
// another dtype and dropped hold no memory.
//
// A file changed on disk while mapped: replacing it (writing a new file and renaming it over the
// old one, as the weights download does, or deleting it) is safe, the mapping keeps the old one.
// Rewriting it in place is not: pages not yet copied may show the new bytes, and truncating it
// makes touching the lost pages raise SIGBUS. That cannot be turned into an exception (the fault
// may come from any LibTorch kernel on any thread), so a SIGBUS inside a mapped checkpoint prints
// which file changed and ends the process with that signal, instead of crashing without a word.
// Faults elsewhere go to the handler that was installed before (or the default action).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "inference/checkpoint/byte_source.h"

namespace shape::checkpoint_detail {

class MappedFile final : public ByteSource, public std::enable_shared_from_this<MappedFile> {
 public:
  // Throws FormatError if the path is missing or not a regular file; nullptr if it cannot be mapped
  // (read it with FileByteSource instead).
  static std::shared_ptr<MappedFile> open(const std::filesystem::path& path);
  ~MappedFile() override;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  uint64_t size() const override { return size_; }
  void read(uint64_t offset, void* destination, size_t count) const override;
  // Keeps the mapping alive; when the last view of exactly this range goes, its whole pages are
  // released from the resident set (they are read again from the file if touched later).
  std::shared_ptr<const uint8_t> view(uint64_t offset, size_t count) const override;

 private:
  MappedFile(const std::filesystem::path& path, uint64_t size, const uint8_t* data);
  void release(uint64_t offset, size_t count) const;

  std::string path_;
  uint64_t size_ = 0;
  const uint8_t* data_ = nullptr;  // nullptr for an empty file
  int guard_slot_ = -1;            // its entry in the SIGBUS guard, -1 if none
  mutable std::mutex views_mutex_;
  mutable std::map<std::pair<uint64_t, size_t>, int> live_views_;  // range -> views alive
};

// A file or its fallback reader: the mapping where the system allows it, FileByteSource otherwise.
// Throws FormatError if the path is missing, not a regular file or unreadable.
std::shared_ptr<const ByteSource> open_file_source(const std::filesystem::path& path);

}  // namespace shape::checkpoint_detail
