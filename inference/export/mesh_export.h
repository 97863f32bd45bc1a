// Writing meshes to files: GLB (the default), glTF (JSON + .bin), binary PLY, and OBJ + MTL.
//
// Conventions per format (Shape Studio's meshes are Shap-E's: Z-up, units of metres, linear RGB):
//  * GLB / glTF: Y-up as glTF requires, positions rotated (x, y, z) -> (x, z, -y); POSITION (with
//    min/max), NORMAL, COLOR_0 as float RGB (linear, as glTF defines it), uint16 or uint32 indices, and
//    one material that shows the vertex colours (white base colour, metallic 0, roughness 1,
//    double-sided).
//  * PLY: binary little-endian, Z-up like Shap-E's own PLY files; float x y z, float nx ny nz, uchar
//    red green blue = round(linear colour * 255.499) exactly as Shap-E's write_ply does, so the bytes
//    are the linear values (viewers that assume sRGB show them darker, as with Shap-E's files).
//  * OBJ: Y-up like glTF (what Blender's importer and most viewers assume), `v x y z r g b` with the
//    colour sRGB-encoded (Blender's importer decodes it from sRGB), `vn` normals, `f a//a b//b c//c`,
//    and `mtllib <name>.mtl` naming a white material written next to it.
#pragma once

#include <cstddef>
#include <filesystem>

#include "inference/export/mesh_io_error.h"
#include "inference/mesh/mesh.h"

namespace shape {

enum class MeshFormat { kGlb, kGltf, kPly, kObj };

// From the extension (case-insensitive): .glb, .gltf, .ply, .obj. Throws ExportError otherwise.
MeshFormat mesh_format_from_path(const std::filesystem::path& path);

// ".glb", ".gltf", ".ply" or ".obj".
const char* file_extension(MeshFormat format);

struct MeshExportOptions {
  MeshFormat format = MeshFormat::kGlb;
  bool weld = true;                  // merge vertices at identical positions first (see weld_vertices)
  std::size_t target_triangles = 0;  // simplify to about this many triangles; 0 keeps them all
};

// Writes `mesh` (welded and simplified as the options say; normals computed if it has none) to
// `path`, plus the companion file of glTF (<stem>.bin) and OBJ (<stem>.mtl) in the same directory.
// Writes are atomic: the files are written and flushed to temporaries in the destination directory
// and renamed into place only when all are complete, so a failed export never leaves a partial file
// or touches an existing one. (With two files, the companion is renamed first; the renames are
// checked for their only practical failure, a destination that is a directory, before anything is
// written.) Throws ExportError, naming the path and the reason, for an empty or invalid mesh, a
// missing or unwritable directory, a destination that is a directory, or a failed write.
void export_mesh(const Mesh& mesh, const std::filesystem::path& path, const MeshExportOptions& options);

}  // namespace shape
