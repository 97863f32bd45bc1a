// Mouse and keyboard on the 3D views: left-drag orbits, right- or shift-drag pans, the wheel
// dollies, a double-click refocuses on the mesh point under the cursor, F or Home resets. Reads
// ImGui's io (the GLFW backend fills it) and does nothing while ImGui wants the mouse/keyboard.
#pragma once

#include "inference/mesh/mesh.h"
#include "renderer/orbit_camera.h"
#include "renderer/view_layout.h"

namespace shape::studio {

class ViewInput {
 public:
  // Call once per frame after ImGui::NewFrame(). Returns true when the camera moved.
  bool update(render::OrbitCamera& camera, const render::ViewLayout& layout, const Mesh& mesh);

 private:
  int drag_button_ = -1;       // the button a drag began with on a view, -1 when none
  render::ViewRect drag_view_;  // the view it began in (its height scales the motion)
};

}  // namespace shape::studio
