#include "inference/weights/verification_stamp.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <system_error>

#include "inference/export/file_io.h"
#include "inference/weights/sha256.h"

namespace shape {
namespace {

const char kStampHeader[] = "# Shape Studio verification stamp v1";

std::string stamp_text(const std::filesystem::path& file, const FileFingerprint& fingerprint,
                       const std::string& sha256) {
  std::ostringstream text;
  text << kStampHeader << "\n"
       << "path " << file.string() << "\n"
       << "size " << fingerprint.size_bytes << "\n"
       << "mtime_ns " << fingerprint.mtime_ns << "\n"
       << "sha256 " << sha256 << "\n";
  return text.str();
}

// The digest from a stamp file if it matches `current`. A stamp beside its file does not check the
// recorded path, so a folder of weights can be moved without hashing again; a fallback stamp does.
std::optional<std::string> read_stamp(const std::filesystem::path& stamp, const std::filesystem::path* required_path,
                                      const FileFingerprint& current) {
  std::ifstream in(stamp);
  if (!in) return std::nullopt;
  std::string header;
  if (!std::getline(in, header) || header != kStampHeader) return std::nullopt;
  std::string line, path, sha256;
  std::optional<std::uint64_t> size;
  std::optional<std::int64_t> mtime_ns;
  while (std::getline(in, line)) {
    const auto space = line.find(' ');
    if (space == std::string::npos) return std::nullopt;
    const std::string key = line.substr(0, space), value = line.substr(space + 1);
    try {
      if (key == "path")
        path = value;
      else if (key == "size")
        size = std::stoull(value);
      else if (key == "mtime_ns")
        mtime_ns = std::stoll(value);
      else if (key == "sha256")
        sha256 = value;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  if ((required_path != nullptr && path != required_path->string()) || !size || !mtime_ns || !is_sha256_hex(sha256))
    return std::nullopt;
  if (FileFingerprint{*size, *mtime_ns} != current) return std::nullopt;
  return sha256;
}

std::filesystem::path absolute_path(const std::filesystem::path& file) {
  std::error_code error;
  auto absolute = std::filesystem::absolute(file, error);
  return error ? file : absolute.lexically_normal();
}

}  // namespace

std::optional<FileFingerprint> fingerprint_of(const std::filesystem::path& file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return std::nullopt;
  FileFingerprint fingerprint;
  fingerprint.size_bytes = static_cast<std::uint64_t>(info.st_size);
  fingerprint.mtime_ns = static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
  return fingerprint;
}

VerificationStamps::VerificationStamps(std::filesystem::path fallback_directory)
    : fallback_directory_(std::move(fallback_directory)) {}

std::filesystem::path VerificationStamps::beside_stamp_path(const std::filesystem::path& file) {
  return file.string() + ".sha256-stamp";
}

std::filesystem::path VerificationStamps::fallback_stamp_path(const std::filesystem::path& file) const {
  const std::string key = sha256_hex(absolute_path(file).string()).substr(0, 16);
  return fallback_directory_ / "stamps" / (key + "-" + file.filename().string() + ".sha256-stamp");
}

std::optional<std::string> VerificationStamps::recorded_sha256(const std::filesystem::path& file,
                                                               const FileFingerprint& current) const {
  if (auto digest = read_stamp(beside_stamp_path(file), nullptr, current)) return digest;
  if (fallback_directory_.empty()) return std::nullopt;
  const auto absolute = absolute_path(file);
  return read_stamp(fallback_stamp_path(file), &absolute, current);
}

bool VerificationStamps::record(const std::filesystem::path& file, const FileFingerprint& fingerprint,
                                const std::string& sha256) const {
  const std::string text = stamp_text(absolute_path(file), fingerprint, sha256);
  try {
    write_files_atomically({{beside_stamp_path(file), text}});
    return true;
  } catch (const std::exception&) {
    // The file's folder is read-only: try the fallback folder.
  }
  if (fallback_directory_.empty()) return false;
  try {
    const auto stamp = fallback_stamp_path(file);
    std::filesystem::create_directories(stamp.parent_path());
    write_files_atomically({{stamp, text}});
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

void VerificationStamps::forget(const std::filesystem::path& file) const {
  std::error_code ignored;
  std::filesystem::remove(beside_stamp_path(file), ignored);
  if (!fallback_directory_.empty()) std::filesystem::remove(fallback_stamp_path(file), ignored);
}

}  // namespace shape
