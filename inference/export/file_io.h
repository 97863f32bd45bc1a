// Whole-file reads and crash-safe whole-file writes for the mesh formats.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace shape {

struct FileContents {
  std::filesystem::path path;
  std::string bytes;
};

// Writes each file to a new temporary file beside its destination, flushes it to disk, and only then
// renames the temporaries over the destinations, in the given order (so list a file after the files
// it references). Any failure before the renames removes the temporaries and leaves every destination
// as it was. Throws ExportError naming the path and the system's reason.
void write_files_atomically(const std::vector<FileContents>& files);

// Throws ImportError naming the path and the reason.
std::string read_whole_file(const std::filesystem::path& path);

}  // namespace shape
