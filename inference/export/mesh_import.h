// Reading meshes back from the formats mesh_export.h writes, returned in Shape Studio's frame (Z-up,
// linear RGB): each reader undoes its format's conventions as described in mesh_export.h. They
// accept the common variants of each format too, not only Shape Studio's own files. All throw
// ImportError naming the file and the problem.
#pragma once

#include <filesystem>

#include "inference/export/mesh_io_error.h"
#include "inference/mesh/mesh.h"

namespace shape {

// By extension: .glb, .gltf, .ply or .obj.
Mesh read_mesh(const std::filesystem::path& path);

// ASCII, binary little- and big-endian PLY. Reads x y z, optional nx ny nz and red green blue
// (integer bytes are divided by their maximum; float colours are taken as they are) and polygon
// faces (fan-triangulated). A file is taken as Shap-E writes it (Z-up, linear colours) unless its
// header has Shape Studio's `comment up_axis Y` (converted from Y-up) and `comment color_encoding
// sRGB` (colours decoded from sRGB) lines.
Mesh read_ply(const std::filesystem::path& path);

// Reads v (with optional r g b, decoded from sRGB), vn and f (any of a, a/b, a//c, a/b/c, negative
// indices, polygons fan-triangulated) and converts from Y-up (unless a `# up_axis Z` comment before
// the vertices says the file is Z-up). A normal is taken per vertex from the
// faces that reference it.
Mesh read_obj(const std::filesystem::path& path);

// .glb or .gltf (with external or embedded buffers): all triangle primitives of all meshes merged,
// POSITION, NORMAL and COLOR_0 (float, or normalized unsigned byte/short; alpha dropped), converted
// from Y-up. Node transforms are not applied.
Mesh read_gltf(const std::filesystem::path& path);

}  // namespace shape
