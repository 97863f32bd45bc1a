#include "inference/weights/durable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

namespace shape {
namespace {

std::runtime_error system_failure(const std::string& what, const std::filesystem::path& path) {
  return std::runtime_error(what + " " + path.string() + ": " + std::strerror(errno));
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

void sync_to_disk(const std::filesystem::path& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw system_failure("cannot open", path);
  if (::fsync(fd.get()) != 0) throw system_failure("cannot flush to disk", path);
}

void replace_file_durably(const std::filesystem::path& source, const std::filesystem::path& destination) {
  sync_to_disk(source);
  if (std::rename(source.c_str(), destination.c_str()) != 0) {
    throw std::runtime_error("cannot move " + source.string() + " to " + destination.string() + ": " +
                             std::strerror(errno));
  }
  const std::filesystem::path folder = destination.has_parent_path() ? destination.parent_path() : ".";
  sync_to_disk(folder);
}

}  // namespace shape
