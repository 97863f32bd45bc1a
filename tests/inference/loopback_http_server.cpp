#include "tests/inference/loopback_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace shape::testing {
namespace {

constexpr std::size_t kMaxRequestHeaderBytes = 16 * 1024;
constexpr auto kPollSlice = std::chrono::milliseconds(20);
constexpr auto kReadRequestTimeout = std::chrono::seconds(5);
constexpr auto kMaxStall = std::chrono::seconds(30);

int bound_loopback_socket(std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  const int yes = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    throw std::runtime_error(std::string("bind 127.0.0.1: ") + std::strerror(errno));
  }
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  port = ntohs(address.sin_port);
  return fd;
}

std::string status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 404: return "Not Found";
    case 416: return "Range Not Satisfiable";
    case 500: return "Internal Server Error";
    default: return "Status";
  }
}

std::string header_value(const std::string& request, const char* name) {
  const std::string key = std::string("\r\n") + name + ":";
  for (std::size_t at = 0; at + key.size() <= request.size(); ++at) {
    if (strncasecmp(request.c_str() + at, key.c_str(), key.size()) != 0) continue;
    const std::size_t start = request.find_first_not_of(' ', at + key.size());
    if (start == std::string::npos) return "";
    const std::size_t end = request.find("\r\n", start);
    return request.substr(start, end - start);
  }
  return "";
}

// "bytes=N-" -> N; anything else (absent, N-M, suffix ranges) -> nullopt: the whole file.
std::optional<std::size_t> open_ended_range_start(const std::string& range) {
  if (range.rfind("bytes=", 0) != 0 || range.back() != '-') return std::nullopt;
  const std::string digits = range.substr(6, range.size() - 7);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return static_cast<std::size_t>(std::stoull(digits));
}

}  // namespace

LoopbackHttpServer::LoopbackHttpServer() {
  listener_ = bound_loopback_socket(port_);
  if (::listen(listener_, 8) != 0) {
    ::close(listener_);
    throw std::runtime_error(std::string("listen: ") + std::strerror(errno));
  }
  thread_ = std::thread([this] { run(); });
}

LoopbackHttpServer::~LoopbackHttpServer() {
  stopping_ = true;
  thread_.join();
  ::close(listener_);
}

std::uint16_t LoopbackHttpServer::unused_port() {
  std::uint16_t port = 0;
  ::close(bound_loopback_socket(port));  // bound, never listened on, closed: connections are refused
  return port;
}

void LoopbackHttpServer::serve(const std::string& path, std::string body, ResponsePlan plan) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& file = files_[path];
  file.body = std::move(body);
  file.plan = plan;
}

void LoopbackHttpServer::plan_next_responses(const std::string& path, std::vector<ResponsePlan> plans) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& queue = files_[path].next_plans;
  queue.insert(queue.end(), plans.begin(), plans.end());
}

std::string LoopbackHttpServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<RecordedRequest> LoopbackHttpServer::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

bool LoopbackHttpServer::wait_or_stop(std::chrono::milliseconds duration) const {
  const auto deadline = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < deadline) {
    if (stopping_) return false;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(kPollSlice, deadline - std::chrono::steady_clock::now()));
  }
  return !stopping_;
}

bool LoopbackHttpServer::send_all(int client, const char* data, std::size_t size) const {
  std::size_t sent = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (sent < size) {
    if (stopping_ || std::chrono::steady_clock::now() > deadline) return false;
    pollfd ready{client, POLLOUT, 0};
    if (::poll(&ready, 1, static_cast<int>(kPollSlice.count())) <= 0) continue;
    const ssize_t count = ::send(client, data + sent, size - sent, MSG_NOSIGNAL);
    if (count < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (count <= 0) return false;
    sent += static_cast<std::size_t>(count);
  }
  return true;
}

void LoopbackHttpServer::run() {
  while (!stopping_) {
    pollfd ready{listener_, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(kPollSlice.count())) <= 0) continue;
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    handle_connection(client);
    ::shutdown(client, SHUT_RDWR);
    ::close(client);
  }
}

void LoopbackHttpServer::handle_connection(int client) {
  // Read the request head (bounded in size and time).
  std::string request;
  const auto deadline = std::chrono::steady_clock::now() + kReadRequestTimeout;
  while (request.find("\r\n\r\n") == std::string::npos) {
    if (stopping_ || std::chrono::steady_clock::now() > deadline || request.size() > kMaxRequestHeaderBytes) return;
    pollfd ready{client, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(kPollSlice.count())) <= 0) continue;
    char buffer[4096];
    const ssize_t count = ::recv(client, buffer, sizeof buffer, 0);
    if (count <= 0) return;
    request.append(buffer, static_cast<std::size_t>(count));
  }
  RecordedRequest recorded;
  const std::size_t method_end = request.find(' ');
  const std::size_t path_end = request.find(' ', method_end + 1);
  recorded.method = request.substr(0, method_end);
  recorded.path = request.substr(method_end + 1, path_end - method_end - 1);
  recorded.range = header_value(request, "Range");

  std::string body;
  ResponsePlan plan;
  bool found = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(recorded);
    auto file = files_.find(recorded.path);
    if (file != files_.end()) {
      found = true;
      body = file->second.body;
      plan = file->second.plan;
      if (!file->second.next_plans.empty()) {
        plan = file->second.next_plans.front();
        file->second.next_plans.pop_front();
      }
    }
  }

  int status = found ? plan.status : 404;
  std::string extra_headers;
  std::size_t start = 0;
  if (status != 0) {
    body = status_text(status) + "\n";  // an error page must never be taken for the file
  } else if (auto range_start = open_ended_range_start(recorded.range); range_start && !plan.ignore_range) {
    if (*range_start >= body.size()) {
      status = 416;
      extra_headers = "Content-Range: bytes */" + std::to_string(body.size()) + "\r\n";
      body = "Range Not Satisfiable\n";
    } else {
      status = 206;
      start = *range_start;
      extra_headers = "Content-Range: bytes " + std::to_string(start) + "-" + std::to_string(body.size() - 1) + "/" +
                      std::to_string(body.size()) + "\r\n";
    }
  } else {
    status = 200;
  }
  const std::size_t length = body.size() - start;
  const std::string head = "HTTP/1.1 " + std::to_string(status) + " " + status_text(status) + "\r\n" +
                           "Content-Length: " + std::to_string(length) + "\r\n" + extra_headers +
                           "Accept-Ranges: bytes\r\nConnection: close\r\n\r\n";
  if (!send_all(client, head.data(), head.size())) return;
  if (recorded.method == "HEAD") return;

  std::size_t sent = 0;
  const std::size_t chunk_size = std::max<std::size_t>(1, plan.chunk_size);
  while (sent < length) {
    if (plan.close_after_bytes && sent >= *plan.close_after_bytes) return;
    if (plan.stall_after_bytes && sent >= *plan.stall_after_bytes) break;
    if (plan.delay_per_chunk.count() > 0 && !wait_or_stop(plan.delay_per_chunk)) return;
    std::size_t count = std::min(chunk_size, length - sent);
    if (plan.close_after_bytes) count = std::min(count, *plan.close_after_bytes - sent);
    if (plan.stall_after_bytes) count = std::min(count, *plan.stall_after_bytes - sent);
    if (!send_all(client, body.data() + start + sent, count)) return;
    sent += count;
  }
  if (sent < length) {
    // Stalled: keep the connection open, sending nothing, until the client gives up.
    const auto give_up = std::chrono::steady_clock::now() + kMaxStall;
    while (!stopping_ && std::chrono::steady_clock::now() < give_up) {
      pollfd ready{client, POLLIN, 0};
      if (::poll(&ready, 1, static_cast<int>(kPollSlice.count())) > 0) {
        char buffer[256];
        if (::recv(client, buffer, sizeof buffer, 0) <= 0) return;
      }
    }
  }
}

}  // namespace shape::testing
