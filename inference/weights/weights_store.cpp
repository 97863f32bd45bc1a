#include "inference/weights/weights_store.h"

#include <algorithm>
#include <cctype>
#include <system_error>

#include "inference/weights/cache_directory.h"
#include "inference/weights/sha256.h"
#include "inference/weights/progress_reporter.h"

namespace shape {

const char* to_string(WeightsFileState state) {
  switch (state) {
    case WeightsFileState::Missing: return "missing";
    case WeightsFileState::Unverified: return "not verified yet";
    case WeightsFileState::Verified: return "verified";
    case WeightsFileState::WrongHash: return "wrong SHA-256";
    case WeightsFileState::Unchecked: return "present (no SHA-256 to check)";
  }
  return "unknown";
}

const char* to_string(WeightsLocation location) {
  switch (location) {
    case WeightsLocation::None: return "none";
    case WeightsLocation::WeightsDirectory: return "weights folder";
    case WeightsLocation::Cache: return "download cache";
  }
  return "unknown";
}

// One place a file may be, and what is known about the copy there.
struct WeightsStore::Copy {
  Copy(std::filesystem::path where, WeightsLocation in) : path(std::move(where)), location(in) {}
  std::filesystem::path path;
  WeightsLocation location = WeightsLocation::None;
  std::optional<FileFingerprint> fingerprint;
  WeightsFileState state = WeightsFileState::Missing;
  std::string sha256;      // the copy's digest when known
  std::string read_error;  // why hashing it failed
};

namespace {

bool same_digest(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

bool usable(WeightsFileState state) {
  return state == WeightsFileState::Verified || state == WeightsFileState::Unchecked;
}

// Lower is preferred when describing a file with several copies.
int preference(WeightsFileState state) {
  switch (state) {
    case WeightsFileState::Verified:
    case WeightsFileState::Unchecked: return 0;
    case WeightsFileState::Unverified: return 1;
    case WeightsFileState::WrongHash: return 2;
    case WeightsFileState::Missing: return 3;
  }
  return 3;
}

bool same_file_location(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::error_code error;
  return std::filesystem::equivalent(a, b, error) || std::filesystem::absolute(a, error).lexically_normal() ==
                                                         std::filesystem::absolute(b, error).lexically_normal();
}

}  // namespace

WeightsStore::WeightsStore(WeightsLocations locations)
    : locations_(std::move(locations)), stamps_(locations_.cache_directory) {}

std::filesystem::path WeightsStore::download_destination(const WeightsFile& file) const {
  return locations_.cache_directory / file.filename;
}

std::vector<WeightsStore::Copy> WeightsStore::examine_copies(const WeightsFile& file) const {
  std::vector<Copy> copies;
  if (locations_.weights_directory && !locations_.weights_directory->empty()) {
    copies.emplace_back(*locations_.weights_directory / file.filename, WeightsLocation::WeightsDirectory);
  }
  // A weights folder that is the cache itself is searched once.
  if (copies.empty() || !same_file_location(*locations_.weights_directory, locations_.cache_directory)) {
    copies.emplace_back(download_destination(file), WeightsLocation::Cache);
  }
  for (Copy& copy : copies) {
    copy.fingerprint = fingerprint_of(copy.path);
    if (!copy.fingerprint) continue;
    if (file.sha256.empty()) {
      copy.state = WeightsFileState::Unchecked;
      continue;
    }
    if (auto recorded = stamps_.recorded_sha256(copy.path, *copy.fingerprint)) {
      copy.sha256 = *recorded;
      copy.state = same_digest(*recorded, file.sha256) ? WeightsFileState::Verified : WeightsFileState::WrongHash;
    } else {
      copy.state = WeightsFileState::Unverified;
    }
  }
  return copies;
}

void WeightsStore::hash_copy(const WeightsFile& file, Copy& copy, const DownloadOptions& options,
                             std::size_t file_index, std::size_t file_count) const {
  DownloadProgress base;
  base.file_name = file.filename;
  base.phase = TransferPhase::Verifying;
  base.file_index = file_index;
  base.file_count = file_count;
  ProgressReporter reporter(options.on_progress, base, options.progress_interval);
  std::string digest;
  try {
    digest = sha256_of_file(
        copy.path,
        [&](std::uint64_t done, std::uint64_t total) { reporter.report(TransferPhase::Verifying, done, total); },
        options.cancel);
  } catch (const HashingCancelled&) {
    throw DownloadCancelled({});
  } catch (const std::exception& error) {
    copy.state = WeightsFileState::Unverified;  // unreadable: cannot be used, reported as not verified
    copy.read_error = error.what();
    return;
  }
  reporter.report(TransferPhase::Verifying, copy.fingerprint->size_bytes, copy.fingerprint->size_bytes, true);
  // Only remember the digest if the file did not change while it was read.
  if (fingerprint_of(copy.path) == copy.fingerprint) stamps_.record(copy.path, *copy.fingerprint, digest);
  copy.sha256 = digest;
  copy.state = same_digest(digest, file.sha256) ? WeightsFileState::Verified : WeightsFileState::WrongHash;
}

WeightsFileStatus WeightsStore::describe(const WeightsFile& file, const std::vector<Copy>& copies) const {
  WeightsFileStatus status;
  status.file = file;
  status.path = download_destination(file);
  const auto best = std::min_element(copies.begin(), copies.end(), [](const Copy& a, const Copy& b) {
    return preference(a.state) < preference(b.state);
  });
  if (best != copies.end() && best->state != WeightsFileState::Missing) {
    status.state = best->state;
    status.location = best->location;
    status.path = best->path;
    status.size_bytes = best->fingerprint->size_bytes;
    status.actual_sha256 = best->sha256;
  }
  if (auto partial = fingerprint_of(partial_download_path(download_destination(file)))) {
    status.partial_bytes = partial->size_bytes;
  }
  return status;
}

WeightsFileStatus WeightsStore::status(const WeightsFile& file) const { return describe(file, examine_copies(file)); }

std::vector<WeightsFileStatus> WeightsStore::status(const std::vector<WeightsFile>& files) const {
  std::vector<WeightsFileStatus> statuses;
  statuses.reserve(files.size());
  for (const auto& file : files) statuses.push_back(status(file));
  return statuses;
}

WeightsFileStatus WeightsStore::verify(const WeightsFile& file, const DownloadOptions& options) const {
  auto copies = examine_copies(file);
  const bool known_good = std::any_of(copies.begin(), copies.end(), [](const Copy& c) { return usable(c.state); });
  if (!known_good) {
    for (Copy& copy : copies) {
      if (copy.state == WeightsFileState::Unverified) hash_copy(file, copy, options, 0, 1);
      if (usable(copy.state)) break;
    }
  }
  return describe(file, copies);
}

std::optional<std::filesystem::path> WeightsStore::find_usable_copy(const WeightsFile& file,
                                                                    const DownloadOptions& options,
                                                                    std::size_t file_index, std::size_t file_count,
                                                                    std::vector<RejectedCopy>& rejected) const {
  auto copies = examine_copies(file);
  // A copy already known to be good wins; otherwise hash the others in search order.
  for (const Copy& copy : copies) {
    if (usable(copy.state)) return copy.path;
  }
  for (Copy& copy : copies) {
    if (copy.state == WeightsFileState::Unverified) hash_copy(file, copy, options, file_index, file_count);
    if (usable(copy.state)) return copy.path;
    if (copy.state == WeightsFileState::WrongHash) {
      rejected.push_back({copy.path, "SHA-256 is " + copy.sha256 + ", not " + file.sha256});
    } else if (!copy.read_error.empty()) {
      rejected.push_back({copy.path, copy.read_error});
    }
  }
  return std::nullopt;
}

std::vector<std::filesystem::path> WeightsStore::ensure_available(const std::vector<WeightsFile>& files,
                                                                  FetchPolicy policy,
                                                                  const DownloadOptions& options) const {
  for (const auto& file : files) validate_weights_file(file);
  std::vector<std::filesystem::path> paths(files.size());
  std::vector<MissingWeightsFile> missing;
  std::optional<std::string> cache_problem;  // the cache folder cannot be written
  std::optional<std::string> unreachable;    // the first "cannot reach the server" reason
  bool cache_prepared = false;

  for (std::size_t index = 0; index < files.size(); ++index) {
    const WeightsFile& file = files[index];
    MissingWeightsFile entry;
    entry.file = file;
    entry.destination = download_destination(file);
    if (auto found = find_usable_copy(file, options, index, files.size(), entry.rejected_copies)) {
      paths[index] = *found;
      continue;
    }
    if (policy == FetchPolicy::LocalOnly) {
      entry.reason = entry.rejected_copies.empty() ? "not found (downloads are turned off)"
                                                   : "no usable copy found (downloads are turned off)";
    } else if (file.url.empty()) {
      entry.reason = "no download URL is known for it";
    } else if (unreachable) {
      // Do not wait for another connect timeout per file once the server proved unreachable.
      entry.reason = *unreachable;
      entry.failure = DownloadFailure::Unreachable;
    } else {
      if (!cache_prepared && !cache_problem) {
        try {
          prepare_writable_directory(locations_.cache_directory);
          cache_prepared = true;
        } catch (const std::exception& error) {
          cache_problem = error.what();
        }
      }
      if (cache_problem) {
        entry.reason = *cache_problem;
        entry.failure = DownloadFailure::FileSystem;
      } else {
        DownloadRequest request;
        request.url = file.url;
        request.destination = entry.destination;
        request.sha256 = file.sha256;
        request.expected_size = file.size_bytes;
        request.display_name = file.filename;
        request.file_index = index;
        request.file_count = files.size();
        try {
          const DownloadResult result = download_file(request, options);
          if (auto fingerprint = fingerprint_of(result.path); fingerprint && !result.sha256.empty()) {
            stamps_.record(result.path, *fingerprint, result.sha256);
          }
          paths[index] = result.path;
          continue;
        } catch (const DownloadError& error) {
          entry.reason = error.reason();
          entry.failure = error.failure();
          if (error.failure() == DownloadFailure::Unreachable) unreachable = error.reason();
        }
      }
    }
    missing.push_back(std::move(entry));
  }
  if (!missing.empty()) throw WeightsUnavailable(std::move(missing), locations_.weights_directory);
  return paths;
}

std::filesystem::path WeightsStore::ensure_available(const WeightsFile& file, FetchPolicy policy,
                                                     const DownloadOptions& options) const {
  return ensure_available(std::vector<WeightsFile>{file}, policy, options).front();
}

}  // namespace shape
