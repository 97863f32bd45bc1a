#include "inference/weights/downloader.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <functional>
#include <thread>

#include "inference/weights/durable_file.h"
#include "inference/weights/http_transfer.h"
#include "inference/weights/sha256.h"
#include "inference/weights/progress_reporter.h"

namespace shape {

const char* to_string(DownloadFailure failure) {
  switch (failure) {
    case DownloadFailure::Unreachable: return "unreachable";
    case DownloadFailure::Interrupted: return "interrupted";
    case DownloadFailure::HttpStatus: return "http-status";
    case DownloadFailure::HashMismatch: return "hash-mismatch";
    case DownloadFailure::FileSystem: return "file-system";
    case DownloadFailure::Busy: return "busy";
    case DownloadFailure::Network: return "network";
    case DownloadFailure::NoUrl: return "no-url";
  }
  return "unknown";
}

DownloadError::DownloadError(DownloadFailure failure, std::string url, std::filesystem::path destination,
                             std::string reason, const std::string& message, long http_status)
    : std::runtime_error(message),
      failure_(failure),
      reason_(std::move(reason)),
      url_(std::move(url)),
      destination_(std::move(destination)),
      http_status_(http_status) {}

DownloadCancelled::DownloadCancelled(std::filesystem::path partial_file)
    : std::runtime_error(partial_file.empty()
                             ? std::string("download cancelled")
                             : "download cancelled; " + partial_file.string() + " is kept to resume later"),
      partial_file_(std::move(partial_file)) {}

std::filesystem::path partial_download_path(const std::filesystem::path& destination) {
  return destination.string() + ".part";
}

namespace {

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string http_status_text(long status) {
  switch (status) {
    case 401: return " (Unauthorized)";
    case 403: return " (Forbidden)";
    case 404: return " (Not Found)";
    case 410: return " (Gone)";
    case 429: return " (Too Many Requests)";
    case 500: return " (Internal Server Error)";
    case 502: return " (Bad Gateway)";
    case 503: return " (Service Unavailable)";
    case 504: return " (Gateway Timeout)";
    default: return "";
  }
}

// The open "<destination>.part", locked against a second process downloading the same file.
class PartialFile {
 public:
  // `fail` throws; it is called when the file cannot be created or is locked by another process.
  PartialFile(std::filesystem::path path, const std::function<void(DownloadFailure, const std::string&)>& fail)
      : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) fail(DownloadFailure::FileSystem, "cannot create " + path_.string() + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      fd_ = -1;
      fail(DownloadFailure::Busy, "another process is downloading it right now (" + path_.string() + " is locked)");
    }
  }
  ~PartialFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  PartialFile(const PartialFile&) = delete;
  PartialFile& operator=(const PartialFile&) = delete;

  int fd() const { return fd_; }
  const std::filesystem::path& path() const { return path_; }
  std::uint64_t size() const {
    struct stat info {};
    return ::fstat(fd_, &info) == 0 ? static_cast<std::uint64_t>(info.st_size) : 0;
  }
  bool truncate() const { return ::ftruncate(fd_, 0) == 0; }
  void remove() const { ::unlink(path_.c_str()); }
  void remove_if_empty() const {
    if (size() == 0) remove();
  }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

class Download {
 public:
  Download(const DownloadRequest& request, const DownloadOptions& options)
      : request_(request),
        options_(options),
        name_(request.display_name.empty() ? request.destination.filename().string() : request.display_name),
        part_(partial_download_path(request.destination),
              [this](DownloadFailure failure, const std::string& reason) { throw error(failure, reason); }),
        reporter_(options.on_progress, initial_progress(), options.progress_interval),
        resumes_left_(options.max_resume_attempts) {
    result_.path = request.destination;
  }

  DownloadResult run() {
    for (;;) {
      if (cancelled()) throw_cancelled();
      std::uint64_t offset = part_.size();
      const std::uint64_t expected = request_.expected_size;
      if (expected != 0 && offset > expected) {
        discard_partial();  // longer than the real file: it cannot be a prefix of it
        offset = 0;
      }
      const bool already_complete = expected != 0 && offset == expected;
      if (!already_complete && fetch(offset) == Step::Retry) continue;
      const std::string problem = check_content();
      if (problem.empty()) break;
      if (may_restart_from_zero_) {
        may_restart_from_zero_ = false;
        discard_partial();
        continue;
      }
      part_.remove();
      fail(DownloadFailure::HashMismatch, problem + "; the download was discarded");
    }
    install();
    return result_;
  }

 private:
  enum class Step { Verify, Retry };

  DownloadProgress initial_progress() const {
    DownloadProgress progress;
    progress.file_name = name_;
    progress.bytes_total = request_.expected_size;
    progress.file_index = request_.file_index;
    progress.file_count = request_.file_count;
    return progress;
  }

  bool cancelled() const { return options_.cancel != nullptr && options_.cancel->load(); }

  DownloadError error(DownloadFailure failure, const std::string& reason, long http_status = 0) const {
    return DownloadError(
        failure, request_.url, request_.destination, reason,
        "cannot download " + name_ + " from " + request_.url + " to " + request_.destination.string() + ": " + reason,
        http_status);
  }

  // Throws; an empty .part is not left behind.
  [[noreturn]] void fail(DownloadFailure failure, const std::string& reason, long http_status = 0) {
    part_.remove_if_empty();
    throw error(failure, reason, http_status);
  }

  [[noreturn]] void throw_cancelled() {
    part_.remove_if_empty();
    std::error_code ignored;
    throw DownloadCancelled(std::filesystem::exists(part_.path(), ignored) ? part_.path() : std::filesystem::path());
  }

  void discard_partial() {
    if (!part_.truncate()) {
      fail(DownloadFailure::FileSystem, "cannot empty " + part_.path().string() + ": " + std::strerror(errno));
    }
    reporter_.restart();
    result_.resumed = false;
  }

  Step fetch(std::uint64_t offset) {
    if (offset > 0) result_.resumed = true;
    HttpTransferRequest http;
    http.url = request_.url;
    http.file_descriptor = part_.fd();
    http.resume_from = offset;
    http.connect_timeout = options_.connect_timeout;
    http.stall_timeout = options_.stall_timeout;
    http.stall_bytes_per_second = options_.stall_bytes_per_second;
    http.on_progress = [this](std::uint64_t done, std::uint64_t total) {
      reporter_.report(TransferPhase::Downloading, done, total != 0 ? total : request_.expected_size);
      return !cancelled();
    };
    const HttpTransferResult transfer = run_http_transfer(http);
    ++result_.http_requests;
    if (transfer.restarted_from_zero) {
      reporter_.restart();
      result_.resumed = false;
    }
    announced_size_ = transfer.total_bytes;
    switch (transfer.outcome) {
      case HttpTransferOutcome::Complete:
        if (announced_size_ != 0 && transfer.file_bytes < announced_size_) {
          return after_interruption(offset, transfer.file_bytes, "the server closed the connection early");
        }
        reporter_.report(TransferPhase::Downloading, transfer.file_bytes,
                         announced_size_ != 0 ? announced_size_ : transfer.file_bytes, true);
        return Step::Verify;
      case HttpTransferOutcome::RangeNotSatisfiable:
        if (transfer.total_bytes != 0 && offset == transfer.total_bytes) return Step::Verify;  // already whole
        if (offset == 0) fail(DownloadFailure::Network, "the server refused the request (HTTP 416)", 416);
        discard_partial();  // the partial file is longer than the server's file
        return Step::Retry;
      case HttpTransferOutcome::HttpError:
        fail(
            DownloadFailure::HttpStatus,
            "the server answered HTTP " + std::to_string(transfer.http_status) + http_status_text(transfer.http_status),
            transfer.http_status);
      case HttpTransferOutcome::Cancelled: throw_cancelled();
      case HttpTransferOutcome::Unreachable:
        fail(DownloadFailure::Unreachable, "cannot reach the server (offline?): " + transfer.detail);
      case HttpTransferOutcome::Interrupted: return after_interruption(offset, transfer.file_bytes, transfer.detail);
      case HttpTransferOutcome::WriteFailed:
        fail(DownloadFailure::FileSystem, "cannot write " + part_.path().string() + ": " + transfer.detail);
      case HttpTransferOutcome::Failed: break;
    }
    fail(DownloadFailure::Network, transfer.detail);
  }

  Step after_interruption(std::uint64_t offset, std::uint64_t file_bytes, const std::string& detail) {
    if (file_bytes > offset) resumes_left_ = options_.max_resume_attempts;  // progress renews the budget
    if (resumes_left_ > 0) {
      --resumes_left_;
      wait_before_retry();
      return Step::Retry;
    }
    std::string reason = "the transfer stopped after " + std::to_string(file_bytes);
    if (announced_size_ != 0) reason += " of " + std::to_string(announced_size_);
    reason += " bytes (" + detail + "); " + part_.path().string() + " is kept and the next attempt resumes from there";
    fail(DownloadFailure::Interrupted, reason);
  }

  void wait_before_retry() const {
    const auto deadline = std::chrono::steady_clock::now() + options_.retry_delay;
    while (std::chrono::steady_clock::now() < deadline && !cancelled()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  // An empty string when the .part is the expected file, else what is wrong with it.
  std::string check_content() {
    const std::uint64_t size = part_.size();
    const std::uint64_t expected_size = request_.expected_size != 0 ? request_.expected_size : announced_size_;
    if (expected_size != 0 && size != expected_size) {
      return "the downloaded file has " + std::to_string(size) + " bytes instead of " + std::to_string(expected_size);
    }
    reporter_.report(TransferPhase::Verifying, 0, size, true);
    try {
      digest_ = sha256_of_file(
          part_.path(),
          [this](std::uint64_t done, std::uint64_t total) { reporter_.report(TransferPhase::Verifying, done, total); },
          options_.cancel);
    } catch (const HashingCancelled&) {
      throw_cancelled();
    } catch (const std::exception& error) {
      fail(DownloadFailure::FileSystem, error.what());
    }
    reporter_.report(TransferPhase::Verifying, size, size, true);
    if (!request_.sha256.empty() && digest_ != lowercase(request_.sha256)) {
      return "the downloaded file has SHA-256 " + digest_ + " instead of " + lowercase(request_.sha256);
    }
    result_.size_bytes = size;
    return "";
  }

  void install() {
    try {
      replace_file_durably(part_.path(), request_.destination);
    } catch (const std::exception& error) {
      fail(DownloadFailure::FileSystem, error.what());
    }
    result_.sha256 = digest_;
  }

  const DownloadRequest& request_;
  const DownloadOptions& options_;
  std::string name_;
  PartialFile part_;
  ProgressReporter reporter_;
  DownloadResult result_;
  std::uint64_t announced_size_ = 0;  // the complete size according to the last response
  bool may_restart_from_zero_ = true;
  int resumes_left_;
  std::string digest_;
};

}  // namespace

DownloadResult download_file(const DownloadRequest& request, const DownloadOptions& options) {
  if (request.url.empty()) {
    const std::string reason = "no download URL is known; place the file at " + request.destination.string();
    throw DownloadError(DownloadFailure::NoUrl, "", request.destination, reason,
                        "cannot download " + request.destination.filename().string() + ": " + reason);
  }
  return Download(request, options).run();
}

}  // namespace shape
