// A tiny HTTP/1.1 server for the download tests: listens on 127.0.0.1 only (an ephemeral port),
// serves in-memory files with Content-Length, honours "Range: bytes=N-" (206 + Content-Range,
// 416 past the end), and can misbehave on purpose: cut the connection, stall, ignore Range, answer
// with an error status, or send slowly. Handles one connection at a time on its own thread; every
// wait is bounded and the destructor stops it promptly. It never connects anywhere.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace shape::testing {

// How to answer one request.
struct ResponsePlan {
  int status = 0;             // 0: serve the file (200, 206 or 416); otherwise this status and a short body
  bool ignore_range = false;  // answer 200 with the whole file even when a Range is asked for
  std::optional<std::size_t> close_after_bytes;  // cut the connection after this many body bytes
  std::optional<std::size_t> stall_after_bytes;  // stop sending after this many, keep the connection open
  std::chrono::milliseconds delay_per_chunk{0};  // pause before each chunk (a slow server)
  std::size_t chunk_size = 16 * 1024;

  static ResponsePlan failing_with(int status) {
    ResponsePlan plan;
    plan.status = status;
    return plan;
  }
  static ResponsePlan ignoring_range() {
    ResponsePlan plan;
    plan.ignore_range = true;
    return plan;
  }
  static ResponsePlan cutting_after(std::size_t bytes) {
    ResponsePlan plan;
    plan.close_after_bytes = bytes;
    return plan;
  }
  static ResponsePlan stalling_after(std::size_t bytes) {
    ResponsePlan plan;
    plan.stall_after_bytes = bytes;
    return plan;
  }
  static ResponsePlan in_chunks(std::size_t bytes, std::chrono::milliseconds delay = std::chrono::milliseconds(0)) {
    ResponsePlan plan;
    plan.chunk_size = bytes;
    plan.delay_per_chunk = delay;
    return plan;
  }
};

struct RecordedRequest {
  std::string method;
  std::string path;
  std::string range;  // the Range header's value, empty when there was none
};

class LoopbackHttpServer {
 public:
  LoopbackHttpServer();
  ~LoopbackHttpServer();
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  // Serves `body` at `path` ("/file.bin") with `plan` for every request not covered below.
  void serve(const std::string& path, std::string body, ResponsePlan plan = {});
  // The next requests for `path` use these plans, one each, before falling back to serve()'s plan.
  void plan_next_responses(const std::string& path, std::vector<ResponsePlan> plans);

  std::string url(const std::string& path) const;
  std::uint16_t port() const { return port_; }
  std::vector<RecordedRequest> requests() const;

  // A port on 127.0.0.1 where nothing listens (connections are refused).
  static std::uint16_t unused_port();

 private:
  struct ServedFile {
    std::string body;
    ResponsePlan plan;
    std::deque<ResponsePlan> next_plans;
  };

  void run();
  void handle_connection(int client);
  bool wait_or_stop(std::chrono::milliseconds duration) const;  // false when stopping
  bool send_all(int client, const char* data, std::size_t size) const;

  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::map<std::string, ServedFile> files_;
  std::vector<RecordedRequest> requests_;
  std::thread thread_;
};

}  // namespace shape::testing
