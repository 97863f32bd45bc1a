// Shap-E's meshes are Z-up; glTF (by its specification) and OBJ (by convention: Blender's importer
// and most viewers) are Y-up. (x, y, z) -> (x, z, -y) turns Shap-E's +Z into +Y and its -Y into +Z.
// Both maps are rotations, so they apply to normals as well.
#pragma once

#include <array>

namespace shape {

inline std::array<float, 3> z_up_to_y_up(const std::array<float, 3>& v) { return {v[0], v[2], -v[1]}; }

inline std::array<float, 3> y_up_to_z_up(const std::array<float, 3>& v) { return {v[0], -v[2], v[1]}; }

}  // namespace shape
