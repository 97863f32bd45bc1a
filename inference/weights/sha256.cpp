#include "inference/weights/sha256.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace shape {

struct Sha256::Context {
  EVP_MD_CTX* md = nullptr;
  ~Context() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {
  context_->md = EVP_MD_CTX_new();
  if (context_->md == nullptr || EVP_DigestInit_ex(context_->md, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL could not start a SHA-256 digest");
  }
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, std::size_t size) {
  if (EVP_DigestUpdate(context_->md, data, size) != 1) {
    throw std::runtime_error("OpenSSL SHA-256 update failed");
  }
}

std::string Sha256::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context_->md, digest, &length) != 1) {
    throw std::runtime_error("OpenSSL SHA-256 finalisation failed");
  }
  static const char kHexDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHexDigits[digest[i] >> 4]);
    hex.push_back(kHexDigits[digest[i] & 0x0f]);
  }
  return hex;
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 hasher;
  hasher.update(bytes);
  return hasher.hex_digest();
}

namespace {

class ReadOnlyFile {
 public:
  explicit ReadOnlyFile(const std::filesystem::path& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) {
      throw std::runtime_error("cannot open " + path.string() + " to check its SHA-256: " + std::strerror(errno));
    }
  }
  ~ReadOnlyFile() { ::close(fd_); }
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::string sha256_of_file(const std::filesystem::path& path, const HashProgress& on_progress,
                           const std::atomic<bool>* cancel) {
  ReadOnlyFile file(path);
  std::error_code size_error;
  const std::uint64_t total = std::filesystem::file_size(path, size_error);
  constexpr std::size_t kBlockSize = 1 << 20;
  std::vector<char> block(kBlockSize);
  Sha256 hasher;
  std::uint64_t done = 0;
  for (;;) {
    if (cancel != nullptr && cancel->load()) throw HashingCancelled();
    const ssize_t count = ::read(file.fd(), block.data(), block.size());
    if (count < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("cannot read " + path.string() + " to check its SHA-256: " + std::strerror(errno));
    }
    if (count == 0) break;
    hasher.update(block.data(), static_cast<std::size_t>(count));
    done += static_cast<std::uint64_t>(count);
    if (on_progress) on_progress(done, size_error ? done : total);
  }
  return hasher.hex_digest();
}

bool is_sha256_hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return false;
  }
  return true;
}

}  // namespace shape
