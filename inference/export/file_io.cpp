#include "inference/export/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "inference/export/mesh_io_error.h"

namespace shape {
namespace {

std::string quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what, int error_number) {
  throw ExportError("cannot write " + quoted(path) + ": " + what + ": " + std::strerror(error_number));
}

// A temporary file beside a destination, removed again unless committed (renamed into place).
class TemporaryFile {
 public:
  explicit TemporaryFile(const std::filesystem::path& destination) : destination_(destination) {
    static std::atomic<unsigned> counter{0};
    const std::filesystem::path directory = destination.has_parent_path() ? destination.parent_path() : ".";
    for (int attempt = 0; attempt < 100; ++attempt) {
      path_ = directory / ("." + destination.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                           std::to_string(counter++));
      // 0666 lets the umask decide, as for any newly created file.
      fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd_ >= 0) return;
      if (errno != EEXIST) break;
    }
    const int error = errno;
    fail(destination_, "cannot create a temporary file in " + quoted(directory), error);
  }

  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;

  ~TemporaryFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }

  void write_and_sync(const std::string& bytes) {
    const char* data = bytes.data();
    size_t left = bytes.size();
    while (left > 0) {
      const ssize_t written = ::write(fd_, data, left);
      if (written < 0) {
        const int error = errno;
        if (error == EINTR) continue;
        fail(destination_, "write failed", error);
      }
      data += written;
      left -= static_cast<size_t>(written);
    }
    if (::fsync(fd_) != 0) {
      const int error = errno;
      fail(destination_, "flushing to disk failed", error);
    }
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) {
      const int error = errno;
      fail(destination_, "closing failed", error);
    }
  }

  void commit() {
    if (::rename(path_.c_str(), destination_.c_str()) != 0) {
      const int error = errno;
      fail(destination_, "renaming the temporary file failed", error);
    }
    committed_ = true;
  }

 private:
  std::filesystem::path destination_;
  std::filesystem::path path_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace

void write_files_atomically(const std::vector<FileContents>& files) {
  for (const auto& file : files) {
    struct stat info;
    if (::stat(file.path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) fail(file.path, "the path is a directory", EISDIR);
  }
  std::vector<std::unique_ptr<TemporaryFile>> temporaries;
  for (const auto& file : files) {
    temporaries.push_back(std::make_unique<TemporaryFile>(file.path));
    temporaries.back()->write_and_sync(file.bytes);
  }
  for (auto& temporary : temporaries) temporary->commit();
}

std::string read_whole_file(const std::filesystem::path& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) {
    const int error = errno;
    throw ImportError("cannot read " + quoted(path) + ": " + std::strerror(error));
  }
  if (S_ISDIR(info.st_mode)) throw ImportError("cannot read " + quoted(path) + ": the path is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    throw ImportError("cannot read " + quoted(path) + ": " + std::strerror(error));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) throw ImportError("cannot read " + quoted(path) + ": read failed");
  return contents.str();
}

}  // namespace shape
