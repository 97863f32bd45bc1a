// Finds, checks and fetches model files: first in a folder of hand-downloaded files
// (--weights-dir), then in the download cache; missing files are downloaded into the cache.
// A file is hashed once; its digest is remembered in a stamp until its size or mtime changes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "inference/weights/download_progress.h"
#include "inference/weights/downloader.h"
#include "inference/weights/verification_stamp.h"
#include "inference/weights/weights_catalog.h"
#include "inference/weights/weights_unavailable.h"

namespace shape {

enum class WeightsFileState {
  Missing,     // no copy anywhere
  Unverified,  // present, not hashed yet (or changed since it was)
  Verified,    // present, SHA-256 matches
  WrongHash,   // present, SHA-256 does not match (it will not be used)
  Unchecked,   // present, the entry has no SHA-256 to check against
};

const char* to_string(WeightsFileState state);

enum class WeightsLocation { None, WeightsDirectory, Cache };

const char* to_string(WeightsLocation location);

// One row of the Models panel.
struct WeightsFileStatus {
  WeightsFile file;
  WeightsFileState state = WeightsFileState::Missing;
  WeightsLocation location = WeightsLocation::None;
  std::filesystem::path path;       // the copy described, or where a download will put it when missing
  std::uint64_t size_bytes = 0;     // of that copy
  std::uint64_t partial_bytes = 0;  // bytes of an unfinished download waiting to be resumed
  std::string actual_sha256;        // when known (Verified, WrongHash)
};

struct WeightsLocations {
  std::filesystem::path cache_directory;                   // see resolve_cache_directory()
  std::optional<std::filesystem::path> weights_directory;  // --weights-dir, searched first
};

enum class FetchPolicy { LocalOnly, DownloadMissing };

class WeightsStore {
 public:
  explicit WeightsStore(WeightsLocations locations);

  const WeightsLocations& locations() const { return locations_; }

  // Where a download of `file` goes: <cache>/<filename>.
  std::filesystem::path download_destination(const WeightsFile& file) const;

  // Cheap (never hashes; uses stamps): safe to call from a UI thread. When several copies exist
  // the one that would be used is described (a verified one first, then by search order).
  WeightsFileStatus status(const WeightsFile& file) const;
  std::vector<WeightsFileStatus> status(const std::vector<WeightsFile>& files) const;

  // Hashes the copies whose stamps are missing or stale, in search order, until one is verified,
  // and records the results. Reports TransferPhase::Verifying progress; throws DownloadCancelled
  // (with no partial file) when options.cancel is raised.
  WeightsFileStatus verify(const WeightsFile& file, const DownloadOptions& options = {}) const;

  // A verified (or, without a hash, present) copy of each file, in the order given; with
  // DownloadMissing the others are downloaded into the cache. Throws WeightsUnavailable listing
  // every file that could not be provided (after trying all of them), DownloadCancelled when
  // cancelled, std::invalid_argument for an invalid custom entry.
  std::vector<std::filesystem::path> ensure_available(const std::vector<WeightsFile>& files, FetchPolicy policy,
                                                      const DownloadOptions& options = {}) const;
  std::filesystem::path ensure_available(const WeightsFile& file, FetchPolicy policy,
                                         const DownloadOptions& options = {}) const;

 private:
  struct Copy;
  std::vector<Copy> examine_copies(const WeightsFile& file) const;
  void hash_copy(const WeightsFile& file, Copy& copy, const DownloadOptions& options, std::size_t file_index,
                 std::size_t file_count) const;
  std::optional<std::filesystem::path> find_usable_copy(const WeightsFile& file, const DownloadOptions& options,
                                                        std::size_t file_index, std::size_t file_count,
                                                        std::vector<RejectedCopy>& rejected) const;
  WeightsFileStatus describe(const WeightsFile& file, const std::vector<Copy>& copies) const;

  WeightsLocations locations_;
  VerificationStamps stamps_;
};

}  // namespace shape
