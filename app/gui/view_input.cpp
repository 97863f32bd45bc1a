#include "gui/view_input.h"

#include <GLFW/glfw3.h>
#include <imgui.h>

#include <optional>

#include "renderer/picking.h"

namespace shape::studio {

namespace {

// The view under the cursor, if any.
std::optional<render::ViewRect> view_at(const render::ViewLayout& layout, float x, float y) {
  if (layout.show_mesh && layout.mesh.contains(x, y)) return layout.mesh;
  if (layout.show_image && layout.image.contains(x, y)) return layout.image;
  return std::nullopt;
}

}  // namespace

bool ViewInput::update(render::OrbitCamera& camera, const render::ViewLayout& layout, const Mesh& mesh) {
  const ImGuiIO& io = ImGui::GetIO();
  bool moved = false;
  const float x = io.MousePos.x;
  const float y = io.MousePos.y;

  if (drag_button_ >= 0 && !io.MouseDown[drag_button_]) drag_button_ = -1;
  if (!io.WantCaptureMouse) {
    const auto view = view_at(layout, x, y);
    if (drag_button_ < 0 && view) {
      for (int button = 0; button < 3; ++button) {
        if (io.MouseClicked[button]) {
          drag_button_ = button;
          drag_view_ = *view;
          break;
        }
      }
    }
    if (view && io.MouseWheel != 0.0f) {
      camera.dolly(io.MouseWheel);
      moved = true;
    }
    if (view && io.MouseDoubleClicked[0] && !mesh.empty()) {
      const glm::vec2 ndc = render::view_to_ndc(x, y, *view);
      if (auto hit = render::intersect_mesh(camera.pick_ray(ndc.x, ndc.y, view->aspect()), mesh.positions, mesh.triangles)) {
        camera.refocus(*hit);
        moved = true;
      }
    }
  }
  // A drag that began on a view keeps going even when the cursor crosses the panel.
  if (drag_button_ >= 0 && (io.MouseDelta.x != 0.0f || io.MouseDelta.y != 0.0f)) {
    static constexpr render::MouseButton kButtons[] = {render::MouseButton::Left, render::MouseButton::Right,
                                                       render::MouseButton::Middle};
    render::apply_mouse_drag(camera, kButtons[drag_button_], io.KeyShift, io.MouseDelta.x, io.MouseDelta.y,
                             drag_view_.height);
    moved = true;
  }
  if (!io.WantCaptureKeyboard && (ImGui::IsKeyPressed(GLFW_KEY_F, false) || ImGui::IsKeyPressed(GLFW_KEY_HOME, false))) {
    camera.reset();
    moved = true;
  }
  return moved;
}

}  // namespace shape::studio
