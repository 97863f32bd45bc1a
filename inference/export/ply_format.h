// PLY encoding (see mesh_export.h for the conventions); the reader is read_ply in mesh_import.h.
#pragma once

#include <string>

#include "inference/mesh/mesh.h"

namespace shape {

// The bytes of a binary little-endian PLY file of `mesh`, which must be valid (check_mesh).
std::string encode_ply(const Mesh& mesh);

// Shap-E's write_ply quantisation of a linear colour channel: round(c * 255.499), clamped to a byte.
unsigned char ply_color_byte(float channel);

}  // namespace shape
