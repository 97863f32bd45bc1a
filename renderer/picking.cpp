#include "renderer/picking.h"

#include <cmath>
#include <limits>

namespace shape::render {

glm::vec2 view_to_ndc(float pixel_x, float pixel_y, const ViewRect& view) {
  if (view.empty()) return {0.0f, 0.0f};
  return {(pixel_x - view.x) / view.width * 2.0f - 1.0f, (pixel_y - view.y) / view.height * 2.0f - 1.0f};
}

std::optional<glm::vec3> intersect_mesh(const Ray& ray, const std::vector<std::array<float, 3>>& positions,
                                        const std::vector<std::array<uint32_t, 3>>& triangles) {
  constexpr float kParallel = 1e-12f;
  float nearest = std::numeric_limits<float>::infinity();
  auto vertex = [&](uint32_t index) {
    const auto& p = positions[index];
    return glm::vec3(p[0], p[1], p[2]);
  };
  for (const auto& t : triangles) {
    if (t[0] >= positions.size() || t[1] >= positions.size() || t[2] >= positions.size()) continue;
    const glm::vec3 a = vertex(t[0]);
    const glm::vec3 edge1 = vertex(t[1]) - a;
    const glm::vec3 edge2 = vertex(t[2]) - a;
    const glm::vec3 p = glm::cross(ray.direction, edge2);
    const float determinant = glm::dot(edge1, p);
    if (std::fabs(determinant) < kParallel) continue;
    const float inverse = 1.0f / determinant;
    const glm::vec3 s = ray.origin - a;
    const float u = glm::dot(s, p) * inverse;
    if (u < 0.0f || u > 1.0f) continue;
    const glm::vec3 q = glm::cross(s, edge1);
    const float v = glm::dot(ray.direction, q) * inverse;
    if (v < 0.0f || u + v > 1.0f) continue;
    const float distance = glm::dot(edge2, q) * inverse;
    if (distance > 0.0f && distance < nearest) nearest = distance;
  }
  if (!std::isfinite(nearest)) return std::nullopt;
  return ray.origin + nearest * ray.direction;
}

}  // namespace shape::render
