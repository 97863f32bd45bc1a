// The ImGui side panel: prompt, Generate/Cancel, progress, settings, view, export, status.
// Draws from AppState and reports what the user asked for; the app carries it out.
#pragma once

#include <string>
#include <vector>

#include "gui/app_state.h"
#include "gui/imgui_images.h"
#include "gui/model_downloads.h"
#include "renderer/view_layout.h"

namespace shape::studio {

inline constexpr float kPanelWidth = 340.0f;

// ImageDisplay slots: the NeRF view, the dropped reference image, then one per batch sample.
inline constexpr uint32_t kNerfSlot = 0;
inline constexpr uint32_t kReferenceSlot = 1;
inline constexpr uint32_t kFirstSampleSlot = 2;
inline constexpr uint32_t kImageSlots = kFirstSampleSlot + 8;  // samples per generation: 1..8

struct PanelActions {
  bool generate = false;
  bool cancel = false;
  bool export_mesh = false;
  bool export_turntable = false;  // an animated WebP beside the export path
  bool clear_image = false;  // back to the text prompt
  bool download_models = false;  // fetch the missing official files
  bool cancel_download = false;
  bool cancel_export = false;
  bool refresh_models = false;
  int select_sample = -1;        // a sample button was pressed
  bool apply_models = false;     // use the custom model files in the fields
  bool follow_training = false;  // tail the loss log of the run folder in the field

  // Where the widgets a test clicks ended up (screen pixels).
  render::ViewRect prompt_field;
  std::vector<render::ViewRect> sample_thumbnails;
};

// What the Models panel shows (refreshed by the app; cheap status only).
struct ModelsView {
  std::string mode;  // "text" or "image"
  std::vector<ModelRow> rows;
  std::string weights_dir;  // empty when --weights-dir is not given
  std::string cache_dir;
  std::string custom_note;  // non-empty when custom files replace some official ones
  DownloadSnapshot download;
};

// Labels over the views: what each pane shows (NeRF preview of step k, NeRF, STF mesh) and which
// model made it, the demo model marked as such. Call between ImGui::NewFrame() and ImGui::Render().
void draw_view_labels(const AppState& state, const render::ViewLayout& layout);

// Call between ImGui::NewFrame() and ImGui::Render().
PanelActions draw_panels(AppState& state, float window_height, const ModelsView& models, ImGuiImages& images);

}  // namespace shape::studio
