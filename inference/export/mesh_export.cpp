#include "inference/export/mesh_export.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "inference/export/file_io.h"
#include "inference/export/gltf_format.h"
#include "inference/export/obj_format.h"
#include "inference/export/ply_format.h"
#include "inference/mesh/mesh_ops.h"

namespace shape {
namespace {

std::string quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

// glTF validators reject normals that are not unit length; repair any the caller supplied.
void normalize_normals(Mesh& mesh) {
  for (auto& n : mesh.normals) {
    const float length = std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    if (std::isfinite(length) && length > 0.0f) {
      for (float& c : n) c /= length;
    } else {
      n = {0.0f, 0.0f, 1.0f};
    }
  }
}

// Moves (origin) and scales the positions in Shap-E's Z-up frame, where "up" is z; normals keep
// their directions under a translation and a uniform positive scale.
void place(Mesh& mesh, const MeshExportOptions& options, const std::filesystem::path& path) {
  const MeshBounds bounds = mesh_bounds(mesh);
  std::array<float, 3> shift{0.0f, 0.0f, 0.0f};
  if (options.origin != MeshOrigin::kKeep) {
    const auto centre = bounds.centre();
    for (int a = 0; a < 3; ++a) shift[a] = -centre[a];
    if (options.origin == MeshOrigin::kBottom) shift[2] = -bounds.low[2];
  }
  float factor = 1.0f;
  if (options.scale_metres != 0.0) {
    const auto size = bounds.size();
    const float extent = std::max({size[0], size[1], size[2]});
    if (!(extent > 0.0f)) {
      throw ExportError("cannot export to " + quoted(path) + ": cannot scale a mesh whose bounding box has no extent");
    }
    factor = static_cast<float>(options.scale_metres / extent);
  }
  for (auto& p : mesh.positions) {
    for (int a = 0; a < 3; ++a) p[a] = (p[a] + shift[a]) * factor;
  }
}

Mesh prepared_for_export(const Mesh& mesh, const MeshExportOptions& options, const std::filesystem::path& path) {
  if (!(options.scale_metres >= 0.0) || !std::isfinite(options.scale_metres)) {
    throw ExportError("cannot export to " + quoted(path) + ": the scale must be a positive number of metres (0 keeps "
                      "Shap-E's units), got " + std::to_string(options.scale_metres));
  }
  if (options.up == UpAxis::kZ && (options.format == MeshFormat::kGlb || options.format == MeshFormat::kGltf)) {
    throw ExportError("cannot export to " + quoted(path) + ": glTF is Y-up by its specification (Z-up is for PLY and OBJ)");
  }
  if (mesh.empty()) throw ExportError("cannot export to " + quoted(path) + ": the mesh has no triangles");
  try {
    check_mesh(mesh);
  } catch (const std::invalid_argument& e) {
    throw ExportError("cannot export to " + quoted(path) + ": invalid mesh: " + e.what());
  }
  Mesh prepared = mesh;
  if (options.weld) weld_vertices(prepared);
  if (options.target_triangles > 0) simplify_mesh(prepared, options.target_triangles);
  if (prepared.empty()) {
    throw ExportError("cannot export to " + quoted(path) + ": no triangles are left after welding and simplifying");
  }
  if (prepared.normals.empty()) {
    compute_vertex_normals(prepared);
  } else {
    normalize_normals(prepared);
  }
  place(prepared, options, path);
  return prepared;
}

// The name of a file that accompanies `path` (glTF's .bin, OBJ's .mtl): the same stem, restricted to
// characters that need no escaping in a URI, a JSON string or an OBJ mtllib line.
std::string companion_file_name(const std::filesystem::path& path, const char* extension) {
  std::string stem = path.stem().string();
  for (char& c : stem) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  }
  return (stem.empty() ? std::string("mesh") : stem) + extension;
}

std::vector<FileContents> encode(const Mesh& mesh, const std::filesystem::path& path, MeshFormat format, UpAxis up) {
  const std::filesystem::path directory = path.parent_path();
  switch (format) {
    case MeshFormat::kGlb:
      return {{path, encode_glb(mesh)}};
    case MeshFormat::kGltf: {
      const std::string bin_name = companion_file_name(path, ".bin");
      GltfFiles gltf = encode_gltf(mesh, bin_name);
      return {{directory / bin_name, std::move(gltf.bin)}, {path, std::move(gltf.json)}};
    }
    case MeshFormat::kPly:
      return {{path, encode_ply(mesh, up)}};
    case MeshFormat::kObj: {
      const std::string mtl_name = companion_file_name(path, ".mtl");
      ObjFiles obj = encode_obj(mesh, mtl_name, up);
      return {{directory / mtl_name, std::move(obj.mtl)}, {path, std::move(obj.obj)}};
    }
  }
  throw ExportError("cannot export to " + quoted(path) + ": unknown format");
}

}  // namespace

MeshFormat mesh_format_from_path(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".glb") return MeshFormat::kGlb;
  if (extension == ".gltf") return MeshFormat::kGltf;
  if (extension == ".ply") return MeshFormat::kPly;
  if (extension == ".obj") return MeshFormat::kObj;
  throw ExportError("cannot export to " + quoted(path) + ": unknown mesh format '" + extension +
                    "' (use .glb, .gltf, .ply or .obj)");
}

const char* file_extension(MeshFormat format) {
  switch (format) {
    case MeshFormat::kGlb: return ".glb";
    case MeshFormat::kGltf: return ".gltf";
    case MeshFormat::kPly: return ".ply";
    case MeshFormat::kObj: return ".obj";
  }
  return "";
}

std::string describe_export(const std::filesystem::path& path, const ExportSummary& summary) {
  std::string count = std::to_string(summary.triangles);
  for (int i = static_cast<int>(count.size()) - 3; i > 0; i -= 3) count.insert(static_cast<size_t>(i), ",");
  char size[32];
  const double bytes = static_cast<double>(summary.bytes);
  if (bytes < 1e3) {
    std::snprintf(size, sizeof size, "%ju bytes", summary.bytes);
  } else if (bytes < 1e6) {
    std::snprintf(size, sizeof size, "%.1f kB", bytes / 1e3);
  } else {
    std::snprintf(size, sizeof size, "%.1f MB", bytes / 1e6);
  }
  return "wrote " + path.string() + ": " + count + (summary.triangles == 1 ? " triangle, " : " triangles, ") + size;
}

ExportSummary export_mesh(const Mesh& mesh, const std::filesystem::path& path, const MeshExportOptions& options) {
  const Mesh prepared = prepared_for_export(mesh, options, path);
  std::vector<FileContents> files;
  try {
    files = encode(prepared, path, options.format, options.up);
  } catch (const ExportError&) {
    throw;
  } catch (const std::exception& e) {
    throw ExportError("cannot export to " + quoted(path) + ": " + e.what());
  }
  // Companion files first, so the main file never names one that is not there yet.
  write_files_atomically(files);
  ExportSummary summary;
  summary.triangles = prepared.triangles.size();
  summary.vertices = prepared.positions.size();
  for (const auto& file : files) summary.bytes += file.bytes.size();
  return summary;
}

}  // namespace shape
