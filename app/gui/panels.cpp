#include "gui/panels.h"

#include <imgui.h>

#include <algorithm>

namespace shape::studio {

namespace {

const ImVec4 kErrorColor{1.0f, 0.45f, 0.4f, 1.0f};
const ImVec4 kOkColor{0.55f, 0.9f, 0.55f, 1.0f};

void prompt_section(AppState& state, PanelActions& actions) {
  ImGui::TextUnformatted("Prompt");
  if (state.image_condition) {
    ImGui::TextWrapped("Image: %s (%dx%d)", state.image_name.c_str(), state.image_condition->width,
                       state.image_condition->height);
    if (ImGui::Button("Use the text prompt instead")) actions.clear_image = true;
  } else {
    ImGui::SetNextItemWidth(-1.0f);
    if (ImGui::InputText("##prompt", state.prompt.data(), state.prompt.size(), ImGuiInputTextFlags_EnterReturnsTrue)) {
      actions.generate = !state.generating;
    }
    ImGui::TextDisabled("or drop a PNG/JPEG image on the window");
  }
  ImGui::BeginDisabled(state.generating);
  if (ImGui::Button("Generate", ImVec2(120, 0))) actions.generate = true;
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::BeginDisabled(!state.generating);
  if (ImGui::Button("Cancel", ImVec2(120, 0))) actions.cancel = true;
  ImGui::EndDisabled();

  const float fraction = state.total_steps > 0
                             ? std::clamp(static_cast<float>(state.step) / static_cast<float>(state.total_steps), 0.0f, 1.0f)
                             : 0.0f;
  const std::string text = state.generating ? progress_text(state) : std::string(state.has_result ? "ready" : "idle");
  ImGui::ProgressBar(state.generating || state.has_result ? fraction : 0.0f, ImVec2(-1.0f, 0.0f), text.c_str());
}

void settings_section(AppState& state) {
  if (!ImGui::CollapsingHeader("Settings", ImGuiTreeNodeFlags_DefaultOpen)) return;
  ImGui::BeginDisabled(state.generating);
  ImGui::InputInt("seed", &state.seed);
  ImGui::SliderInt("steps", &state.steps, 1, 256);
  ImGui::SliderFloat("guidance", &state.guidance, 0.0f, 30.0f, "%.1f");
  ImGui::SliderInt("mesh grid", &state.grid_size, 16, 256);
  ImGui::SliderInt("preview size", &state.preview_size, 32, 512);
  ImGui::EndDisabled();
  state.seed = std::max(0, state.seed);
}

void view_section(AppState& state, PanelActions& actions) {
  if (!ImGui::CollapsingHeader("View", ImGuiTreeNodeFlags_DefaultOpen)) return;
  int mode = static_cast<int>(state.view);
  actions.view_changed |= ImGui::RadioButton("Split", &mode, static_cast<int>(render::ViewMode::Split));
  ImGui::SameLine();
  actions.view_changed |= ImGui::RadioButton("NeRF", &mode, static_cast<int>(render::ViewMode::ImageOnly));
  ImGui::SameLine();
  actions.view_changed |= ImGui::RadioButton("Mesh", &mode, static_cast<int>(render::ViewMode::MeshOnly));
  state.view = static_cast<render::ViewMode>(mode);
  ImGui::Checkbox("wireframe", &state.wireframe);
  ImGui::TextDisabled("drag: orbit  right/shift-drag: pan\nwheel: zoom  double-click: focus  F: reset");
}

void export_section(AppState& state, PanelActions& actions) {
  if (!ImGui::CollapsingHeader("Export", ImGuiTreeNodeFlags_DefaultOpen)) return;
  ImGui::SetNextItemWidth(-1.0f);
  ImGui::InputText("##export_path", state.export_path.data(), state.export_path.size());
  ImGui::Combo("format", &state.export_format, kExportFormats, IM_ARRAYSIZE(kExportFormats));
  ImGui::SliderInt("grid", &state.export_grid, 16, 256);
  ImGui::InputInt("simplify to", &state.simplify_triangles, 1000, 10000);
  state.simplify_triangles = std::max(0, state.simplify_triangles);
  ImGui::BeginDisabled(!state.has_result);
  if (ImGui::Button("Export", ImVec2(120, 0))) actions.export_mesh = true;
  ImGui::EndDisabled();
  if (!state.export_message.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, state.export_failed ? kErrorColor : kOkColor);
    ImGui::TextWrapped("%s", state.export_message.c_str());
    ImGui::PopStyleColor();
  }
}

}  // namespace

PanelActions draw_panels(AppState& state, float window_height) {
  PanelActions actions;
  ImGui::SetNextWindowPos(ImVec2(0.0f, 0.0f));
  ImGui::SetNextWindowSize(ImVec2(kPanelWidth, window_height));
  ImGui::Begin("Shape Studio", nullptr,
               ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
                   ImGuiWindowFlags_NoSavedSettings);
  prompt_section(state, actions);
  ImGui::Separator();
  settings_section(state);
  view_section(state, actions);
  export_section(state, actions);
  ImGui::Separator();
  if (!state.status.empty()) {
    if (state.status_is_error) ImGui::PushStyleColor(ImGuiCol_Text, kErrorColor);
    ImGui::TextWrapped("%s", state.status.c_str());
    if (state.status_is_error) ImGui::PopStyleColor();
  }
  ImGui::End();
  return actions;
}

}  // namespace shape::studio
