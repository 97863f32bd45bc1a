// Downloads one file over HTTP(S) with libcurl into "<destination>.part", resuming an earlier
// partial download with a Range request, checks its size and SHA-256, then renames it into place
// (after fsync). The destination therefore only ever holds a complete, verified file.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "inference/weights/download_progress.h"

namespace shape {

enum class DownloadFailure {
  Unreachable,   // no connection to the server: offline, DNS failure, refused, connect timeout
  Interrupted,   // the connection broke or stalled; the .part is kept and the next try resumes it
  HttpStatus,    // the server answered with an error status (404, 500, ...)
  HashMismatch,  // the downloaded bytes are not the expected file (hash or size); nothing kept
  FileSystem,    // the .part or the destination could not be created, written or renamed
  Busy,          // another process is downloading the same file right now
  Network,       // any other transfer failure (TLS, protocol)
  NoUrl,         // the entry has no download URL
};

const char* to_string(DownloadFailure failure);

// A failed download. The message names the file, the URL, the destination and the reason.
class DownloadError : public std::runtime_error {
 public:
  DownloadError(DownloadFailure failure, std::string url, std::filesystem::path destination, std::string reason,
                const std::string& message, long http_status = 0);
  DownloadFailure failure() const { return failure_; }
  const std::string& reason() const { return reason_; }  // what() without the file, URL and destination
  const std::string& url() const { return url_; }
  const std::filesystem::path& destination() const { return destination_; }
  long http_status() const { return http_status_; }

 private:
  DownloadFailure failure_;
  std::string reason_;
  std::string url_;
  std::filesystem::path destination_;
  long http_status_;
};

// The cancellation flag was raised. The partial file (if any bytes arrived) is kept so that the
// next download resumes from it; the destination is untouched.
class DownloadCancelled : public std::runtime_error {
 public:
  explicit DownloadCancelled(std::filesystem::path partial_file);
  const std::filesystem::path& partial_file() const { return partial_file_; }

 private:
  std::filesystem::path partial_file_;
};

struct DownloadOptions {
  ProgressCallback on_progress;               // may be empty
  const std::atomic<bool>* cancel = nullptr;  // checked in every progress tick (~1/s even when stalled)
  std::chrono::seconds connect_timeout{20};
  // A response that sends nothing for stall_timeout, or that curl measures below
  // stall_bytes_per_second for that long, counts as interrupted (and is resumed).
  std::chrono::seconds stall_timeout{60};
  long stall_bytes_per_second = 1024;
  int max_resume_attempts = 5;  // automatic resumptions after an interrupted transfer, per download
  std::chrono::milliseconds retry_delay{1000};
  std::chrono::milliseconds progress_interval{100};  // at most one progress report per interval
};

struct DownloadRequest {
  std::string url;
  std::filesystem::path destination;
  std::string sha256;               // expected digest (hex); empty: not checked
  std::uint64_t expected_size = 0;  // 0: use the size the server announces
  // How progress reports name this file and place it in a batch.
  std::string display_name;  // defaults to the destination's file name
  std::size_t file_index = 0;
  std::size_t file_count = 1;
};

struct DownloadResult {
  std::filesystem::path path;
  std::uint64_t size_bytes = 0;
  std::string sha256;     // the digest of the file now at `path`
  int http_requests = 0;  // requests made (resumptions and restarts included)
  bool resumed = false;   // bytes from an earlier partial download were kept
};

// "<destination>.part"
std::filesystem::path partial_download_path(const std::filesystem::path& destination);

// Downloads request.url to request.destination (the folder must exist). Resumes an existing .part
// with "Range: bytes=N-"; a server that ignores Range (200 instead of 206) makes it start over
// cleanly. A .part longer than the file, or one whose completed content fails the size or hash
// check, is discarded and the download is tried once more from zero. Interrupted transfers are
// resumed up to options.max_resume_attempts times. Throws DownloadError or DownloadCancelled.
DownloadResult download_file(const DownloadRequest& request, const DownloadOptions& options = {});

}  // namespace shape
