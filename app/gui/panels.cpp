#include "gui/panels.h"
#include "inference/weights/progress_bar.h"

#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <string>

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
    ImGui::SetNextItemWidth(-1.0f - 76.0f);
    if (ImGui::InputText("##prompt", state.prompt.data(), state.prompt.size(), ImGuiInputTextFlags_EnterReturnsTrue)) {
      actions.generate = !state.generating;
    }
    ImGui::SameLine();
    ImGui::SetNextItemWidth(70.0f);
    ImGui::BeginDisabled(state.history.empty());
    if (ImGui::BeginCombo("##history", "history", ImGuiComboFlags_HeightLarge)) {
      for (size_t i = 0; i < state.history.size(); ++i) {
        ImGui::PushID(static_cast<int>(i));
        if (ImGui::Selectable(state.history[i].c_str(), state.history[i] == state.prompt_text())) {
          state.set_prompt(state.history[i]);
        }
        ImGui::PopID();
      }
      ImGui::EndCombo();
    }
    ImGui::EndDisabled();
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
  ImGui::SliderInt("samples", &state.samples, 1, 8);
  ImGui::EndDisabled();
  state.samples = std::clamp(state.samples, 1, 8);
  state.seed = std::max(0, state.seed);
}

void samples_section(const AppState& state, PanelActions& actions) {
  if (state.latents.size() < 2) return;
  ImGui::TextUnformatted("Sample shown (views and export):");
  for (size_t i = 0; i < state.latents.size(); ++i) {
    if (i > 0 && i % 4 != 0) ImGui::SameLine();
    const bool selected = i == state.shown_sample;
    if (selected) ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(ImGuiCol_ButtonActive));
    const std::string label = "#" + std::to_string(i + 1) + "##sample" + std::to_string(i);
    if (ImGui::Button(label.c_str(), ImVec2(70, 0))) actions.select_sample = static_cast<int>(i);
    if (selected) ImGui::PopStyleColor();
    if (ImGui::IsItemHovered()) {
      const bool meshed = i < state.sample_meshes.size() && !state.sample_meshes[i].empty();
      ImGui::SetTooltip("sample %zu of %zu (seed %d)%s", i + 1, state.latents.size(), state.seed,
                        meshed ? "" : "  no mesh yet");
    }
  }
}

void models_section(const ModelsView& models, PanelActions& actions) {
  if (!ImGui::CollapsingHeader("Models")) return;
  ImGui::TextDisabled("official files for %s generation", models.mode.c_str());
  if (!models.custom_note.empty()) ImGui::TextWrapped("%s", models.custom_note.c_str());
  bool any_missing = false;
  for (const auto& row : models.rows) {
    any_missing |= row.missing;
    ImGui::PushStyleColor(ImGuiCol_Text, row.usable ? kOkColor : kErrorColor);
    ImGui::Text("%s: %s", row.name.c_str(), row.state.c_str());
    ImGui::PopStyleColor();
    ImGui::SameLine();
    ImGui::TextDisabled("%s", row.size.c_str());
    ImGui::Indent();
    ImGui::TextWrapped("%s", row.path.c_str());
    if (row.missing && !row.url.empty()) ImGui::TextDisabled("from %s", row.url.c_str());
    ImGui::Unindent();
  }
  ImGui::TextWrapped("weights dir: %s", models.weights_dir.empty() ? "(none; --weights-dir)" : models.weights_dir.c_str());
  ImGui::TextWrapped("cache dir: %s", models.cache_dir.c_str());
  const auto& download = models.download;
  if (download.running) {
    char overlay[256];
    std::snprintf(overlay, sizeof overlay, "%s %s (%zu/%zu)", download.verifying ? "checking" : "downloading",
                  download.file_name.empty() ? "..." : download.file_name.c_str(), download.file_index + 1,
                  std::max<size_t>(1, download.file_count));
    ImGui::ProgressBar(download.fraction(), ImVec2(-1.0f, 0.0f), overlay);
    if (download.bytes_total > 0) {
      ImGui::TextDisabled("%s / %s", format_byte_count(download.bytes_done).c_str(), format_byte_count(download.bytes_total).c_str());
    }
    if (ImGui::Button("Cancel download", ImVec2(150, 0))) actions.cancel_download = true;
  } else {
    ImGui::BeginDisabled(!any_missing);
    if (ImGui::Button("Download missing", ImVec2(150, 0))) actions.download_models = true;
    ImGui::EndDisabled();
    ImGui::SameLine();
    if (ImGui::Button("Refresh", ImVec2(80, 0))) actions.refresh_models = true;
  }
  if (!download.result.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, download.result_is_error ? kErrorColor : kOkColor);
    ImGui::TextWrapped("%s", download.result.c_str());
    ImGui::PopStyleColor();
  }
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

PanelActions draw_panels(AppState& state, float window_height, const ModelsView& models) {
  PanelActions actions;
  ImGui::SetNextWindowPos(ImVec2(0.0f, 0.0f));
  ImGui::SetNextWindowSize(ImVec2(kPanelWidth, window_height));
  ImGui::Begin("Shape Studio", nullptr,
               ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
                   ImGuiWindowFlags_NoSavedSettings);
  prompt_section(state, actions);
  ImGui::Separator();
  settings_section(state);
  samples_section(state, actions);
  view_section(state, actions);
  export_section(state, actions);
  models_section(models, actions);
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
