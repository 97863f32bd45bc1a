// The marching-cubes case table of shap-e's rendering/_mc_table.py, in the corner and edge numbering
// that shap-e's rendering/mc.py uses. The face order of the official meshes follows from this exact
// table (triangle order within a case and vertex order within a triangle), which differs from the
// classic Lorensen/Bourke table, so parity needs this one.
#pragma once

#include <cstdint>

namespace shape::mc_tables {

// Corner c of a cube sits at offset (c & 1, (c >> 1) & 1, (c >> 2) & 1) from the cube's lowest corner;
// a cube's case index has bit c set when corner c is inside (field > 0).
//
// Edge e runs along axis a = e / 4 (0 = x, 1 = y, 2 = z). Its offset along the lower of the two other
// axes is e & 1 and along the higher one (e >> 1) & 1; e.g. edge 9 runs along z at offset (1, 0).
inline constexpr int kEdgesPerCube = 12;
inline constexpr int kMaxTrianglesPerCase = 5;

// For each of the 256 cases, the triangles as consecutive edge triples, terminated by -1.
extern const int8_t kCaseTriangleEdges[256][3 * kMaxTrianglesPerCase + 1];

}  // namespace shape::mc_tables
