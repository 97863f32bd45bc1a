#include "inference/weights/cache_directory.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace shape {

std::optional<std::string> process_environment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::filesystem::path resolve_cache_directory(const std::optional<std::filesystem::path>& explicit_directory,
                                              const EnvironmentLookup& environment) {
  std::filesystem::path chosen;
  if (explicit_directory && !explicit_directory->empty()) {
    chosen = *explicit_directory;
  } else if (auto cache = environment("SHAPE_STUDIO_CACHE")) {
    chosen = *cache;
  } else if (auto xdg = environment("XDG_CACHE_HOME")) {
    chosen = std::filesystem::path(*xdg) / "shape-studio";
  } else if (auto home = environment("HOME")) {
    chosen = std::filesystem::path(*home) / ".cache" / "shape-studio";
  } else {
    throw std::runtime_error(
        "cannot choose a folder for downloaded models: none of SHAPE_STUDIO_CACHE, XDG_CACHE_HOME or HOME is set; "
        "set SHAPE_STUDIO_CACHE to a writable folder");
  }
  return std::filesystem::absolute(chosen).lexically_normal();
}

void prepare_writable_directory(const std::filesystem::path& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) {
    throw std::runtime_error("cannot create the model folder " + directory.string() + ": " + error.message());
  }
  if (!std::filesystem::is_directory(directory, error)) {
    throw std::runtime_error("the model folder " + directory.string() + " is not a folder");
  }
  // access(W_OK) is not enough (root, read-only mounts): actually create a file.
  const std::filesystem::path probe = directory / (".write-test-" + std::to_string(::getpid()));
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno != EEXIST) {
    throw std::runtime_error("cannot write into the model folder " + directory.string() + ": " + std::strerror(errno));
  }
  if (fd >= 0) ::close(fd);
  ::unlink(probe.c_str());
}

}  // namespace shape
