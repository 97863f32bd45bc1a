// glTF 2.0 encoding via tinygltf (see mesh_export.h for the conventions); the reader is read_gltf in
// mesh_import.h.
#pragma once

#include <string>

#include "inference/mesh/mesh.h"

namespace shape {

// The bytes of a .glb file of `mesh`, which must be valid (check_mesh) and non-empty.
std::string encode_glb(const Mesh& mesh);

struct GltfFiles {
  std::string json;  // the .gltf file, whose buffer names `bin_uri`
  std::string bin;
};

// `bin_uri` is the .bin file's name relative to the .gltf (a plain file name in the same directory).
GltfFiles encode_gltf(const Mesh& mesh, const std::string& bin_uri);

}  // namespace shape
