// The ImGui side panel: prompt, Generate/Cancel, progress, settings, view, export, status.
// Draws from AppState and reports what the user asked for; the app carries it out.
#pragma once

#include "gui/app_state.h"

namespace shape::studio {

inline constexpr float kPanelWidth = 340.0f;

struct PanelActions {
  bool generate = false;
  bool cancel = false;
  bool export_mesh = false;
  bool clear_image = false;  // back to the text prompt
  bool view_changed = false;
};

// Call between ImGui::NewFrame() and ImGui::Render().
PanelActions draw_panels(AppState& state, float window_height);

}  // namespace shape::studio
