#include "inference/weights/http_transfer.h"

#include <curl/curl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>

#include "inference/weights/cache_directory.h"

namespace shape {
namespace {

void initialise_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool starts_with_ignoring_case(const std::string& text, const char* prefix) {
  const std::size_t length = std::strlen(prefix);
  return text.size() >= length && strncasecmp(text.c_str(), prefix, length) == 0;
}

std::optional<std::uint64_t> parse_unsigned(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  try {
    return std::stoull(text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// What the headers of the current response said. Reset at each status line (redirects).
struct ResponseHeaders {
  long status = 0;
  std::optional<std::uint64_t> content_length;
  std::optional<std::uint64_t> range_start;  // "Content-Range: bytes START-END/TOTAL"
  std::optional<std::uint64_t> range_total;  // also from "bytes */TOTAL" (416)

  void parse_line(const std::string& raw_line) {
    const std::string line = trim(raw_line);
    if (starts_with_ignoring_case(line, "HTTP/")) {
      *this = ResponseHeaders{};
      const auto space = line.find(' ');
      if (space != std::string::npos) status = std::strtol(line.c_str() + space + 1, nullptr, 10);
    } else if (starts_with_ignoring_case(line, "Content-Length:")) {
      content_length = parse_unsigned(trim(line.substr(std::strlen("Content-Length:"))));
    } else if (starts_with_ignoring_case(line, "Content-Range:")) {
      parse_content_range(trim(line.substr(std::strlen("Content-Range:"))));
    }
  }

  void parse_content_range(const std::string& value) {
    if (!starts_with_ignoring_case(value, "bytes")) return;
    const std::string spec = trim(value.substr(5));
    const auto slash = spec.find('/');
    if (slash == std::string::npos) return;
    range_total = parse_unsigned(spec.substr(slash + 1));
    const auto dash = spec.find('-');
    if (dash != std::string::npos && dash < slash) range_start = parse_unsigned(spec.substr(0, dash));
  }
};

struct TransferState {
  const HttpTransferRequest* request = nullptr;
  ResponseHeaders headers;
  bool body_started = false;
  bool discard_body = false;  // error pages are not written to the file
  std::uint64_t file_bytes = 0;
  std::uint64_t total_bytes = 0;
  bool restarted_from_zero = false;
  bool cancelled = false;
  bool stalled = false;
  std::uint64_t bytes_at_last_change = 0;
  std::chrono::steady_clock::time_point last_change = std::chrono::steady_clock::now();
  int write_errno = 0;
  std::string failure;  // set when the write callback refuses the response

  // Decides what to do with the body once the final response's headers are known.
  bool start_body() {
    body_started = true;
    const long status = headers.status;
    if (status < 200 || status >= 300) {
      discard_body = true;
      return true;
    }
    if (status == 206) {
      if (headers.range_start.value_or(UINT64_MAX) != request->resume_from) {
        failure = "the server sent a different part of the file than the one asked for (bytes " +
                  std::to_string(request->resume_from) + "-)";
        return false;
      }
      if (headers.range_total) total_bytes = *headers.range_total;
      return true;
    }
    // Any other 2xx carries the whole file: a server that ignores Range restarts from zero.
    if (file_bytes > 0) {
      if (::ftruncate(request->file_descriptor, 0) != 0) {
        write_errno = errno;
        return false;
      }
      file_bytes = 0;
      restarted_from_zero = true;
    }
    if (headers.content_length) total_bytes = *headers.content_length;
    return true;
  }
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto& state = *static_cast<TransferState*>(user);
  state.headers.parse_line(std::string(data, size * count));
  state.last_change = std::chrono::steady_clock::now();
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto& state = *static_cast<TransferState*>(user);
  const size_t length = size * count;
  if (!state.body_started && !state.start_body()) return 0;
  if (state.discard_body) return length;
  size_t written = 0;
  while (written < length) {
    const ssize_t result = ::write(state.request->file_descriptor, data + written, length - written);
    if (result < 0 && errno == EINTR) continue;
    if (result < 0) {
      state.write_errno = errno;
      return 0;
    }
    written += static_cast<size_t>(result);
  }
  state.file_bytes += length;
  return length;
}

// Called by curl many times a second while data flows and about once a second when it does not.
int on_transfer_info(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto& state = *static_cast<TransferState*>(user);
  if (state.request->on_progress && !state.request->on_progress(state.file_bytes, state.total_bytes)) {
    state.cancelled = true;
    return 1;
  }
  // curl's low-speed check averages over several seconds; a response that delivers nothing at
  // all is given up after exactly stall_timeout. (Connecting is bounded by connect_timeout.)
  const auto now = std::chrono::steady_clock::now();
  if (state.headers.status == 0) return 0;
  if (state.file_bytes != state.bytes_at_last_change) {
    state.bytes_at_last_change = state.file_bytes;
    state.last_change = now;
  } else if (now - state.last_change >= state.request->stall_timeout) {
    state.stalled = true;
    return 1;
  }
  return 0;
}

// Loopback addresses never go through a proxy; the user's own no_proxy list is kept.
std::string no_proxy_list() {
  std::string list = "localhost,127.0.0.1,::1";
  if (auto user = process_environment("no_proxy")) list += "," + *user;
  if (auto user = process_environment("NO_PROXY")) list += "," + *user;
  return list;
}

struct CurlDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};

HttpTransferOutcome classify_curl_error(CURLcode code, const TransferState& state) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT: return HttpTransferOutcome::Unreachable;
    case CURLE_OPERATION_TIMEDOUT:
      // Before any response the connection never worked; after it the transfer stalled.
      return state.headers.status == 0 ? HttpTransferOutcome::Unreachable : HttpTransferOutcome::Interrupted;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM: return HttpTransferOutcome::Interrupted;
    default: return HttpTransferOutcome::Failed;
  }
}

}  // namespace

HttpTransferResult run_http_transfer(const HttpTransferRequest& request) {
  initialise_curl_once();
  HttpTransferResult result;
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) {
    result.detail = "libcurl could not start a transfer";
    return result;
  }
  TransferState state;
  state.request = &request;
  state.file_bytes = request.resume_from;
  state.bytes_at_last_change = request.resume_from;
  char curl_message[CURL_ERROR_SIZE] = {};
  const std::string range = std::to_string(request.resume_from) + "-";
  const std::string no_proxy = no_proxy_list();

  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, request.url.c_str());
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85 replaced the bit masks with strings
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
  curl_easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(handle, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM in a multithreaded program
  curl_easy_setopt(handle, CURLOPT_NOPROXY, no_proxy.c_str());
  curl_easy_setopt(handle, CURLOPT_USERAGENT, "ShapeStudio");
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, curl_message);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT, static_cast<long>(request.connect_timeout.count()));
  curl_easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, request.stall_bytes_per_second);
  curl_easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, static_cast<long>(request.stall_timeout.count()));
  if (request.resume_from > 0) curl_easy_setopt(handle, CURLOPT_RANGE, range.c_str());
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &state);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, on_transfer_info);
  curl_easy_setopt(handle, CURLOPT_XFERINFODATA, &state);

  const CURLcode code = curl_easy_perform(handle);
  // A body-less response (empty file, or 200 to a resume request with nothing to send) never
  // reached on_body: apply the same decisions now.
  if (code == CURLE_OK && !state.body_started) state.start_body();
  result.http_status = state.headers.status;
  result.file_bytes = state.file_bytes;
  result.total_bytes = state.total_bytes;
  result.restarted_from_zero = state.restarted_from_zero;
  const std::string curl_detail = curl_message[0] != '\0' ? curl_message : curl_easy_strerror(code);

  if (state.cancelled) {
    result.outcome = HttpTransferOutcome::Cancelled;
  } else if (state.stalled) {
    result.outcome = HttpTransferOutcome::Interrupted;
    result.detail = "no data arrived for " + std::to_string(request.stall_timeout.count()) + " s";
  } else if (state.write_errno != 0) {
    result.outcome = HttpTransferOutcome::WriteFailed;
    result.detail = std::strerror(state.write_errno);
  } else if (!state.failure.empty()) {
    result.outcome = HttpTransferOutcome::Failed;
    result.detail = state.failure;
  } else if (state.headers.status == 416) {
    result.outcome = HttpTransferOutcome::RangeNotSatisfiable;
    result.total_bytes = state.headers.range_total.value_or(0);
  } else if (state.headers.status != 0 && (state.headers.status < 200 || state.headers.status >= 300)) {
    result.outcome = HttpTransferOutcome::HttpError;
  } else if (code != CURLE_OK) {
    result.outcome = classify_curl_error(code, state);
    result.detail = curl_detail;
  } else {
    result.outcome = HttpTransferOutcome::Complete;
  }
  return result;
}

}  // namespace shape
