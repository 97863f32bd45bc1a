// CPU-side mesh preparation: normals, default colours, validation, wireframe edges.
#include "renderer/mesh_geometry.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace shape::render {
namespace {

const std::vector<Vec3f> kSquare{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}};
const std::vector<Triangle> kSquareTriangles{{0, 1, 2}, {0, 2, 3}};

TEST(RendererMeshGeometry, ComputesUnitNormalsWhenMissing) {
  const MeshGeometry geometry = build_mesh_geometry(kSquare, {}, {}, kSquareTriangles, false);
  ASSERT_EQ(geometry.vertices.size(), 4u);
  for (const MeshVertex& v : geometry.vertices) {
    EXPECT_NEAR(v.normal[0], 0.0f, 1e-6f);
    EXPECT_NEAR(v.normal[1], 0.0f, 1e-6f);
    EXPECT_NEAR(v.normal[2], 1.0f, 1e-6f);
  }
}

TEST(RendererMeshGeometry, KeepsGivenNormalsAndColoursOrFillsDefaultColour) {
  const std::vector<Vec3f> normals(4, Vec3f{0, 0, -1});
  const std::vector<Vec3f> colors(4, Vec3f{0.1f, 0.2f, 0.3f});
  const MeshGeometry coloured = build_mesh_geometry(kSquare, normals, colors, kSquareTriangles, false);
  EXPECT_EQ(coloured.vertices[2].normal, (Vec3f{0, 0, -1}));
  EXPECT_EQ(coloured.vertices[2].color, (Vec3f{0.1f, 0.2f, 0.3f}));
  const MeshGeometry plain = build_mesh_geometry(kSquare, normals, {}, kSquareTriangles, false);
  EXPECT_EQ(plain.vertices[1].color, kDefaultMeshColor);
  EXPECT_EQ(plain.triangle_indices, (std::vector<uint32_t>{0, 1, 2, 0, 2, 3}));
  EXPECT_TRUE(plain.edge_indices.empty());
}

TEST(RendererMeshGeometry, RejectsMismatchedSizesAndBadIndices) {
  EXPECT_THROW(build_mesh_geometry(kSquare, std::vector<Vec3f>(3), {}, kSquareTriangles, false), std::invalid_argument);
  EXPECT_THROW(build_mesh_geometry(kSquare, {}, std::vector<Vec3f>(5), kSquareTriangles, false), std::invalid_argument);
  EXPECT_THROW(build_mesh_geometry(kSquare, {}, {}, {{0, 1, 4}}, false), std::invalid_argument);
}

TEST(RendererMeshGeometry, SharedEdgesAppearOnce) {
  const MeshGeometry geometry = build_mesh_geometry(kSquare, {}, {}, kSquareTriangles, true);
  // Four outline edges plus the shared diagonal.
  EXPECT_EQ(geometry.edge_indices.size(), 10u);
}

}  // namespace
}  // namespace shape::render
