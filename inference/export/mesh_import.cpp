#include "inference/export/mesh_import.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace shape {

Mesh read_mesh(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".glb" || extension == ".gltf") return read_gltf(path);
  if (extension == ".ply") return read_ply(path);
  if (extension == ".obj") return read_obj(path);
  throw ImportError("cannot read '" + path.string() + "': unknown mesh format '" + extension +
                    "' (use .glb, .gltf, .ply or .obj)");
}

}  // namespace shape
