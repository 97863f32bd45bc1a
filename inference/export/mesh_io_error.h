// Errors of the mesh exporters and readers. Messages name the file and the reason.
#pragma once

#include <stdexcept>

namespace shape {

// Writing a mesh failed: nothing was written to the destination (see export_mesh).
class ExportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reading a mesh file failed: unreadable, malformed or an unsupported variant of the format.
class ImportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace shape
