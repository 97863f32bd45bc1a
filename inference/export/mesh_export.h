// Writing meshes to files: GLB (the default), glTF (JSON + .bin), binary PLY, and OBJ + MTL.
//
// Shape Studio's meshes are Shap-E's: Z-up, in Shap-E's units (the object fills about the [-1, 1]
// cube), linear RGB. By default every format is written so that it opens right in the usual viewers:
//  * Up axis: +Y up in every format (glTF requires it; Blender's OBJ/PLY importers, MeshLab and most
//    viewers assume it): positions and normals rotated (x, y, z) -> (x, z, -y), so Shap-E's +Z is +Y.
//    UpAxis::kZ keeps Shap-E's Z-up frame in PLY and OBJ (Shap-E's own PLY files are Z-up); glTF is
//    always Y-up, and asking for Z-up there is an error.
//  * Origin: MeshOrigin::kBottom (the default) moves the mesh so that it stands on the ground: its
//    lowest point at up = 0 and its bounding box centred on the other two axes. kCenter puts the
//    bounding-box centre at the origin; kKeep leaves Shap-E's coordinates as they are.
//  * Scale: scale_metres > 0 scales the mesh uniformly about the origin (after the move) so that the
//    largest side of its bounding box is that many metres; 0 keeps Shap-E's units.
//  * Triangles: simplified to about kDefaultExportTriangles by default (marching cubes at grid 128
//    gives ~126k triangles for a plain cube); target_triangles = 0 keeps them all.
//
// Per format:
//  * GLB / glTF: POSITION (with min/max), NORMAL, COLOR_0 as float RGB (linear, as glTF defines it),
//    uint16 or uint32 indices, and one material that shows the vertex colours (white base colour,
//    metallic 0, roughness 1, double-sided).
//  * PLY: binary little-endian; float x y z, float nx ny nz, uchar red green blue. The colour bytes
//    are sRGB-encoded, round(srgb(linear) * 255), which is how MeshLab, Blender, Open3D and other
//    readers take PLY colour bytes, in either up axis. (Shap-E's write_ply stores the linear values as
//    bytes, which every viewer shows too dark; Shape Studio no longer writes those.) The header says
//    what the file holds in two machine-readable comments, `comment up_axis Y|Z` and
//    `comment color_encoding sRGB`, which read_ply honours.
//  * OBJ: `v x y z r g b` with the colour sRGB-encoded (OBJ/MTL has no standard vertex colour; this
//    is the common extension that MeshLab and Blender's newer OBJ importer read, while other readers
//    drop it and show the white material), `vn` normals, `s 1` (one smoothing group: shade smooth),
//    `f a//a b//b c//c`, and `mtllib <name>.mtl` naming a white material written next to it. A
//    Z-up file says so in a `# up_axis Z` comment, which read_obj honours.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "inference/export/mesh_io_error.h"
#include "inference/mesh/mesh.h"

namespace shape {

enum class MeshFormat { kGlb, kGltf, kPly, kObj };

// From the extension (case-insensitive): .glb, .gltf, .ply, .obj. Throws ExportError otherwise.
MeshFormat mesh_format_from_path(const std::filesystem::path& path);

// ".glb", ".gltf", ".ply" or ".obj".
const char* file_extension(MeshFormat format);

enum class UpAxis { kY, kZ };
enum class MeshOrigin { kBottom, kCenter, kKeep };

// The default triangle budget of an export: enough for Shap-E's detail at grid 128 (a shape's
// marching-cubes mesh has 100k+ triangles, mostly on flat or smooth parts), about 1 MB as GLB.
inline constexpr std::size_t kDefaultExportTriangles = 30000;

struct MeshExportOptions {
  MeshFormat format = MeshFormat::kGlb;
  bool weld = true;  // merge vertices at identical positions first (see weld_vertices)
  std::size_t target_triangles = kDefaultExportTriangles;  // simplify to about this many; 0 keeps all
  UpAxis up = UpAxis::kY;                                  // kZ: PLY and OBJ only
  MeshOrigin origin = MeshOrigin::kBottom;
  double scale_metres = 0.0;  // the largest bounding-box side, in metres; 0 keeps Shap-E's units
};

// What export_mesh wrote.
struct ExportSummary {
  std::size_t triangles = 0;
  std::size_t vertices = 0;
  std::uintmax_t bytes = 0;  // all files written (with glTF's .bin or OBJ's .mtl)
};

// "wrote cube.glb: 24,000 triangles, 1.1 MB" (sizes in decimal kB/MB).
std::string describe_export(const std::filesystem::path& path, const ExportSummary& summary);

// Writes `mesh` (welded, simplified, moved and scaled as the options say; normals computed if it has
// none) to `path`, plus the companion file of glTF (<stem>.bin) and OBJ (<stem>.mtl) in the same directory.
// Writes are atomic: the files are written and flushed to temporaries in the destination directory
// and renamed into place only when all are complete, so a failed export never leaves a partial file
// or touches an existing one. (With two files, the companion is renamed first; the renames are
// checked for their only practical failure, a destination that is a directory, before anything is
// written.) Throws ExportError, naming the path and the reason, for an empty or invalid mesh, a
// missing or unwritable directory, a destination that is a directory, a failed write, Z-up glTF, or a
// negative or non-finite scale (or a scale for a mesh without extent).
ExportSummary export_mesh(const Mesh& mesh, const std::filesystem::path& path, const MeshExportOptions& options);

}  // namespace shape
