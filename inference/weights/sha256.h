// SHA-256 digests (OpenSSL libcrypto's EVP interface) of byte ranges and of files.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace shape {

// Incremental SHA-256: update() any number of times, then hex_digest() once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, std::size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  // The digest as 64 lowercase hex digits. The object cannot be updated afterwards.
  std::string hex_digest();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

std::string sha256_hex(std::string_view bytes);

// Called while a file is hashed with the bytes hashed so far and the file's size.
using HashProgress = std::function<void(std::uint64_t bytes_done, std::uint64_t bytes_total)>;

// Hashes a whole file. Throws std::runtime_error naming the path when it cannot be read, and
// HashingCancelled when `cancel` becomes true (checked between blocks).
std::string sha256_of_file(const std::filesystem::path& path, const HashProgress& on_progress = nullptr,
                           const std::atomic<bool>* cancel = nullptr);

class HashingCancelled : public std::runtime_error {
 public:
  HashingCancelled() : std::runtime_error("hashing cancelled") {}
};

// True for exactly 64 hex digits (either case).
bool is_sha256_hex(std::string_view text);

}  // namespace shape
