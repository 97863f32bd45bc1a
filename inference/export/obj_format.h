// OBJ + MTL encoding (see mesh_export.h for the conventions); the reader is read_obj in mesh_import.h.
#pragma once

#include <string>

#include "inference/export/mesh_export.h"
#include "inference/mesh/mesh.h"

namespace shape {

struct ObjFiles {
  std::string obj;
  std::string mtl;
};

// `mtl_file_name` is what the OBJ's mtllib line names (the MTL's file name in the same directory).
// `mesh` must be valid (check_mesh). Shap-E's +Z is written as +Y (UpAxis::kY) or kept (kZ).
ObjFiles encode_obj(const Mesh& mesh, const std::string& mtl_file_name, UpAxis up = UpAxis::kY);

}  // namespace shape
