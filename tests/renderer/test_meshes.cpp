#include "test_meshes.h"

#include <cmath>
#include <cstdint>

namespace shape::render::testing {

shape::Mesh make_cube(float h, const std::array<float, 3>& color) {
  shape::Mesh mesh;
  // Each face: normal, then two in-plane axes u, v with u × v = normal (counter-clockwise outside).
  const std::array<std::array<std::array<float, 3>, 3>, 6> faces{{
      {{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}},
      {{{-1, 0, 0}, {0, 0, 1}, {0, 1, 0}}},
      {{{0, 1, 0}, {0, 0, 1}, {1, 0, 0}}},
      {{{0, -1, 0}, {1, 0, 0}, {0, 0, 1}}},
      {{{0, 0, 1}, {1, 0, 0}, {0, 1, 0}}},
      {{{0, 0, -1}, {0, 1, 0}, {1, 0, 0}}},
  }};
  for (const auto& face : faces) {
    const auto& n = face[0];
    const auto& u = face[1];
    const auto& v = face[2];
    const auto base = static_cast<uint32_t>(mesh.positions.size());
    for (const auto& [su, sv] : std::array<std::array<float, 2>, 4>{{{-1, -1}, {1, -1}, {1, 1}, {-1, 1}}}) {
      mesh.positions.push_back({h * (n[0] + su * u[0] + sv * v[0]), h * (n[1] + su * u[1] + sv * v[1]),
                                h * (n[2] + su * u[2] + sv * v[2])});
      mesh.normals.push_back(n);
      mesh.colors.push_back(color);
    }
    mesh.triangles.push_back({base, base + 1, base + 2});
    mesh.triangles.push_back({base, base + 2, base + 3});
  }
  return mesh;
}

shape::Mesh make_square_facing_minus_y(float y, float h, const std::array<float, 3>& color) {
  shape::Mesh mesh;
  mesh.positions = {{-h, y, -h}, {h, y, -h}, {h, y, h}, {-h, y, h}};
  mesh.normals.assign(4, {0.0f, -1.0f, 0.0f});
  mesh.colors.assign(4, color);
  mesh.triangles = {{0, 1, 2}, {0, 2, 3}};
  return mesh;
}

shape::Mesh make_sphere(float radius, int segments, int rings) {
  shape::Mesh mesh;
  const float pi = 3.14159265f;
  for (int r = 0; r <= rings; ++r) {
    const float polar = pi * static_cast<float>(r) / static_cast<float>(rings);
    for (int s = 0; s <= segments; ++s) {
      const float azimuth = 2.0f * pi * static_cast<float>(s) / static_cast<float>(segments);
      const std::array<float, 3> n{std::sin(polar) * std::cos(azimuth), std::sin(polar) * std::sin(azimuth),
                                   std::cos(polar)};
      mesh.positions.push_back({radius * n[0], radius * n[1], radius * n[2]});
      mesh.normals.push_back(n);
      mesh.colors.push_back({std::fabs(n[0]), std::fabs(n[1]), std::fabs(n[2])});
    }
  }
  const auto row = static_cast<uint32_t>(segments + 1);
  for (uint32_t r = 0; r < static_cast<uint32_t>(rings); ++r) {
    for (uint32_t s = 0; s < static_cast<uint32_t>(segments); ++s) {
      const uint32_t a = r * row + s;
      const uint32_t b = a + row;
      mesh.triangles.push_back({a, b, a + 1});
      mesh.triangles.push_back({a + 1, b, b + 1});
    }
  }
  return mesh;
}

shape::Mesh merge(const shape::Mesh& a, const shape::Mesh& b) {
  shape::Mesh out = a;
  const auto offset = static_cast<uint32_t>(a.positions.size());
  out.positions.insert(out.positions.end(), b.positions.begin(), b.positions.end());
  out.normals.insert(out.normals.end(), b.normals.begin(), b.normals.end());
  out.colors.insert(out.colors.end(), b.colors.begin(), b.colors.end());
  for (const auto& t : b.triangles) out.triangles.push_back({t[0] + offset, t[1] + offset, t[2] + offset});
  return out;
}

}  // namespace shape::render::testing
