// Small meshes for renderer tests, in Shap-E's Z-up frame.
#pragma once

#include "inference/mesh/mesh.h"

#include <array>

namespace shape::render::testing {

// An axis-aligned cube centred at the origin: 24 vertices (flat per-face normals), one colour.
shape::Mesh make_cube(float half_size, const std::array<float, 3>& color);

// A square in the plane y = `y`, facing -Y (towards the default camera), two triangles.
shape::Mesh make_square_facing_minus_y(float y, float half_size, const std::array<float, 3>& color);

// A UV sphere whose colour follows its normal (|n| as RGB).
shape::Mesh make_sphere(float radius, int segments, int rings);

// Concatenates meshes (indices rebased).
shape::Mesh merge(const shape::Mesh& a, const shape::Mesh& b);

}  // namespace shape::render::testing
