// Crash-safe file steps: flush to disk, replace atomically.
#pragma once

#include <filesystem>

namespace shape {

// fsync()s a file or a directory. Throws std::runtime_error naming the path.
void sync_to_disk(const std::filesystem::path& path);

// Flushes `source` to disk, renames it over `destination` (atomic on POSIX) and flushes the folder
// so the new name survives a crash. Throws std::runtime_error naming both paths.
void replace_file_durably(const std::filesystem::path& source, const std::filesystem::path& destination);

}  // namespace shape
