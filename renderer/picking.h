// Double-click refocus support: a ray from the camera through a pixel of a view, and its nearest hit
// on a triangle mesh (CPU, Möller–Trumbore; a one-off per click, fast enough for Shap-E meshes).
//
//   const glm::vec2 ndc = view_to_ndc(mouse_x, mouse_y, layout.mesh);
//   if (auto hit = intersect_mesh(camera.pick_ray(ndc.x, ndc.y, layout.mesh.aspect()), mesh.positions,
//                                 mesh.triangles)) camera.refocus(*hit);
#pragma once

#include "renderer/view_layout.h"

#include <glm/glm.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace shape::render {

struct Ray {
  glm::vec3 origin{0.0f};
  glm::vec3 direction{0.0f, 0.0f, -1.0f};  // unit length
};

// Pixel (window coordinates, y down) → Vulkan NDC of the view rectangle (x right, y down, [-1, 1]).
glm::vec2 view_to_ndc(float pixel_x, float pixel_y, const ViewRect& view);

// The nearest point where the ray meets a triangle (either side), if any.
std::optional<glm::vec3> intersect_mesh(const Ray& ray, const std::vector<std::array<float, 3>>& positions,
                                        const std::vector<std::array<uint32_t, 3>>& triangles);

}  // namespace shape::render
