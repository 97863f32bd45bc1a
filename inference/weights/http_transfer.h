// One HTTP(S) GET through libcurl that appends the response body to an open file, asking for the
// rest of the file with "Range: bytes=N-" when the file already holds N bytes. The resume policy,
// verification and renaming live in downloader.h; this only runs a single request.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace shape {

struct HttpTransferRequest {
  std::string url;
  int file_descriptor = -1;       // opened with O_APPEND; truncated when the server restarts from zero
  std::uint64_t resume_from = 0;  // bytes already in the file
  std::chrono::seconds connect_timeout{20};
  // The transfer is abandoned when nothing arrives for `stall_timeout`, or when curl measures it
  // below `stall_bytes_per_second` for that long (curl averages over a few seconds).
  std::chrono::seconds stall_timeout{60};
  long stall_bytes_per_second = 1;
  // Called with the bytes now in the file and the complete size (0 while unknown). Returning
  // false aborts the transfer (cancellation). Also called when nothing arrives, about once a second.
  std::function<bool(std::uint64_t file_bytes, std::uint64_t total_bytes)> on_progress;
};

enum class HttpTransferOutcome {
  Complete,             // a 2xx body was received in full
  RangeNotSatisfiable,  // 416: the file is already complete or longer than the server's
  HttpError,            // any other non-2xx status
  Cancelled,            // on_progress returned false
  Unreachable,          // no connection (DNS, refused, connect timeout): offline
  Interrupted,          // the connection broke or stalled after the request was sent
  WriteFailed,          // the local file could not be written
  Failed,               // anything else (TLS, protocol, inconsistent range)
};

struct HttpTransferResult {
  HttpTransferOutcome outcome = HttpTransferOutcome::Failed;
  long http_status = 0;              // of the final response, 0 when none arrived
  std::uint64_t file_bytes = 0;      // bytes in the file afterwards
  std::uint64_t total_bytes = 0;     // the complete size as announced by the server, 0 when unknown
  bool restarted_from_zero = false;  // the server ignored the Range request and sent everything
  std::string detail;                // curl's or the system's explanation when not Complete
};

HttpTransferResult run_http_transfer(const HttpTransferRequest& request);

}  // namespace shape
