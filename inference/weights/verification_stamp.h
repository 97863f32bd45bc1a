// Remembers the SHA-256 of a large file together with its size and modification time, so a file
// is hashed once and not at every start. A stamp whose size or mtime no longer matches is ignored.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace shape {

// Size and modification time: what changes when a file is rewritten.
struct FileFingerprint {
  std::uint64_t size_bytes = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const FileFingerprint& other) const {
    return size_bytes == other.size_bytes && mtime_ns == other.mtime_ns;
  }
  bool operator!=(const FileFingerprint& other) const { return !(*this == other); }
};

// nullopt when the path does not name a readable regular file.
std::optional<FileFingerprint> fingerprint_of(const std::filesystem::path& file);

// Stamps live beside the file ("<file>.sha256-stamp"); for files in folders that cannot be
// written (a read-only --weights-dir) they go to `fallback_directory`, keyed by the file's path.
class VerificationStamps {
 public:
  explicit VerificationStamps(std::filesystem::path fallback_directory);

  // The recorded digest if a stamp exists for this file and matches `current`.
  std::optional<std::string> recorded_sha256(const std::filesystem::path& file, const FileFingerprint& current) const;

  // Records the digest of `file` as it was when it had `fingerprint`. Best effort: returns false
  // when no stamp could be written anywhere (the file is then simply hashed again next time).
  bool record(const std::filesystem::path& file, const FileFingerprint& fingerprint, const std::string& sha256) const;

  // Removes the stamps of `file` (e.g. before it is replaced).
  void forget(const std::filesystem::path& file) const;

  static std::filesystem::path beside_stamp_path(const std::filesystem::path& file);
  std::filesystem::path fallback_stamp_path(const std::filesystem::path& file) const;

 private:
  std::filesystem::path fallback_directory_;
};

}  // namespace shape
