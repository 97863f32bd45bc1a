// PLY encoding (see mesh_export.h for the conventions); the reader is read_ply in mesh_import.h.
#pragma once

#include <string>

#include "inference/export/mesh_export.h"
#include "inference/mesh/mesh.h"

namespace shape {

// The bytes of a binary little-endian PLY file of `mesh`, which must be valid (check_mesh), with
// Shap-E's +Z written as +Y (UpAxis::kY) or kept (kZ).
std::string encode_ply(const Mesh& mesh, UpAxis up = UpAxis::kY);

// The PLY colour byte of a linear colour channel: round(srgb(c) * 255), clamped to [0, 255] (NaN: 0).
unsigned char ply_color_byte(float linear_channel);

}  // namespace shape
