#include "gui/panels.h"
#include "inference/pipeline/turntable.h"
#include "inference/weights/progress_bar.h"

#include <imgui.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <cstdio>
#include <string>
#include <vector>

namespace shape::studio {

namespace {

const ImVec4 kErrorColor{1.0f, 0.45f, 0.4f, 1.0f};
const ImVec4 kOkColor{0.55f, 0.9f, 0.55f, 1.0f};
const ImVec4 kNoticeColor{1.0f, 0.78f, 0.35f, 1.0f};
const ImVec4 kBusyFill{0.16f, 0.36f, 0.62f, 1.0f};
const ImVec4 kDoneFill{0.16f, 0.42f, 0.22f, 1.0f};
const ImVec4 kFailedFill{0.58f, 0.16f, 0.14f, 1.0f};
constexpr float kReferenceSize = 96.0f;
constexpr float kThumbnailSize = 72.0f;
constexpr int kThumbnailsPerRow = 4;

render::ViewRect last_item_rect() {
  const ImVec2 min = ImGui::GetItemRectMin();
  const ImVec2 max = ImGui::GetItemRectMax();
  return {min.x, min.y, max.x - min.x, max.y - min.y};
}

void error_text(const std::string& text) {
  ImGui::PushStyleColor(ImGuiCol_Text, kErrorColor);
  ImGui::TextWrapped("%s", text.c_str());
  ImGui::PopStyleColor();
}

void prompt_section(AppState& state, PanelActions& actions, ImGuiImages& images) {
  ImGui::TextUnformatted("Prompt");
  if (state.image_condition) {
    images.image(kReferenceSlot, ImVec2(kReferenceSize, kReferenceSize));
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::TextWrapped("Image: %s (%dx%d)", state.image_name.c_str(), state.image_condition->width,
                       state.image_condition->height);
    if (ImGui::Button("Remove")) actions.clear_image = true;
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("back to the text prompt");
    ImGui::EndGroup();
  } else {
    ImGui::SetNextItemWidth(-1.0f - 76.0f);
    if (ImGui::InputText("##prompt", state.prompt.data(), state.prompt.size(), ImGuiInputTextFlags_EnterReturnsTrue)) {
      actions.generate = !state.generating;
    }
    if (ImGui::IsItemEdited()) state.prompt_notice = clip_reading_notice(state.prompt_text());
    actions.prompt_field = last_item_rect();
    ImGui::SameLine();
    ImGui::SetNextItemWidth(70.0f);
    ImGui::BeginDisabled(state.history.empty());
    if (ImGui::BeginCombo("##history", "history", ImGuiComboFlags_HeightLarge)) {
      for (size_t i = 0; i < state.history.size(); ++i) {
        ImGui::PushID(static_cast<int>(i));
        if (ImGui::Selectable(state.history[i].c_str(), state.history[i] == state.prompt_text())) {
          state.set_prompt(state.history[i]);
          state.prompt_notice = clip_reading_notice(state.prompt_text());
        }
        ImGui::PopID();
      }
      ImGui::EndCombo();
    }
    ImGui::EndDisabled();
    if (!state.prompt_notice.empty()) {
      ImGui::PushStyleColor(ImGuiCol_Text, kNoticeColor);
      ImGui::TextWrapped("%s", state.prompt_notice.c_str());
      ImGui::PopStyleColor();
    }
    ImGui::TextDisabled("or drop an image on the window");
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
  // White text on a dark fill whose colour says busy, done or failed.
  const StatusLine status = status_line(state);
  const ImVec4 fill = status.tone == StatusLine::Tone::kError  ? kFailedFill
                      : status.tone == StatusLine::Tone::kDone ? kDoneFill
                                                               : kBusyFill;
  const bool full = status.tone == StatusLine::Tone::kError || status.tone == StatusLine::Tone::kDone;
  ImGui::PushStyleColor(ImGuiCol_PlotHistogram, fill);
  ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 1.0f, 1.0f, 1.0f));
  ImGui::ProgressBar(state.generating ? fraction : (full ? 1.0f : 0.0f), ImVec2(-1.0f, 0.0f), status.text.c_str());
  ImGui::PopStyleColor(2);
  if (ImGui::IsItemHovered() && status.text != state.status && !state.status.empty()) {
    ImGui::SetTooltip("%s", state.status.c_str());
  }
}

// "Official (heun, 64 steps)", or "Custom".
std::string preset_label(std::optional<SamplerPreset> preset) {
  if (!preset) return "Custom";
  std::string name = preset_name(*preset);
  name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
  const auto choice = preset_choice(*preset);
  return name + " (" + sampler_name(choice.sampler) + ", " + std::to_string(choice.steps) + " steps)";
}

// A preset, or Custom with the sampler and its steps.
void sampler_controls(AppState& state) {
  if (ImGui::BeginCombo("sampler", preset_label(state.sampler_preset).c_str())) {
    std::vector<std::optional<SamplerPreset>> choices(all_sampler_presets().begin(), all_sampler_presets().end());
    choices.push_back(std::nullopt);
    for (const auto& choice : choices) {
      if (ImGui::Selectable(preset_label(choice).c_str(), choice == state.sampler_preset)) {
        choose_sampler_preset(state, choice);
      }
    }
    ImGui::EndCombo();
  }
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", describe(state.sampler_choice()).c_str());
  if (state.sampler_preset) return;
  if (ImGui::BeginCombo("method", sampler_name(state.sampler).c_str())) {
    for (const auto kind : all_sampler_kinds()) {
      if (ImGui::Selectable(sampler_name(kind).c_str(), kind == state.sampler)) state.sampler = kind;
    }
    ImGui::EndCombo();
  }
  ImGui::SliderInt("steps", &state.steps, 1, 256);
  ImGui::TextDisabled("%lld model evaluations",
                      static_cast<long long>(model_evaluations(state.sampler, state.sampler_choice().steps)));
}

// auto (with what it picks on this machine), fp32 (the exact path) or bf16; fp16 only on CUDA.
void precision_control(AppState& state) {
  const bool cuda = state.device.rfind("cuda", 0) == 0;
  const auto label = [&](PrecisionRequest request) {
    if (request != PrecisionRequest::kAuto) return precision_request_name(request);
    return "auto (" + precision_name(resolve_precision(request, state.device)) + ")";
  };
  if (ImGui::BeginCombo("precision", label(state.precision).c_str())) {
    for (const auto request : {PrecisionRequest::kAuto, PrecisionRequest::kFloat32, PrecisionRequest::kBFloat16,
                               PrecisionRequest::kFloat16}) {
      if (request == PrecisionRequest::kFloat16 && !cuda) continue;
      if (ImGui::Selectable(label(request).c_str(), request == state.precision)) state.precision = request;
    }
    ImGui::EndCombo();
  }
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("the diffusion model's arithmetic: fp32 is exact; bf16 is 2-3x faster on CPUs that compute "
                      "it natively, with results as close as the official notebooks' bf16");
  }
}

void settings_section(AppState& state) {
  if (!ImGui::CollapsingHeader("Settings", ImGuiTreeNodeFlags_DefaultOpen)) return;
  ImGui::BeginDisabled(state.generating);
  ImGui::InputInt("seed", &state.seed);
  sampler_controls(state);
  precision_control(state);
  const std::string guidance_format = state.guidance_late_note.empty() ? "%.1f" : "%.1f, " + state.guidance_late_note;
  if (ImGui::SliderFloat("guidance", &state.guidance, 0.0f, 30.0f, guidance_format.c_str())) {
    state.guidance_chosen = true;
    state.guidance_before_recommendation.reset();  // the user's value is the one to keep
    state.guidance_late_note.clear();  // and it holds throughout
  }
  ImGui::SliderInt("mesh grid", &state.grid_size, 16, 256);
  ImGui::SliderInt("preview size", &state.preview_size, 32, 512);
  ImGui::SliderInt("samples", &state.samples, 1, 8);
  ImGui::EndDisabled();
  // Previews may change mid-generation: they apply from the next step.
  ImGui::SliderInt("preview every", &state.preview_every, 1, 16, state.preview_every == 1 ? "step" : "%d steps");
  ImGui::SliderInt("preview coarse", &state.preview_coarse_samples, 0, 128,
                   state.preview_coarse_samples == 0 ? "model's" : "%d samples");
  ImGui::SliderInt("preview fine", &state.preview_fine_samples, 0, 256,
                   state.preview_fine_samples == 0 ? "model's" : "%d samples");
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("fewer samples per ray: faster, noisier previews (0: the model's)");
  state.samples = std::clamp(state.samples, 1, 8);
  state.seed = std::max(0, state.seed);
  state.preview_every = std::clamp(state.preview_every, 1, kMaxPreviewEvery);
  state.preview_coarse_samples = std::clamp(state.preview_coarse_samples, 0, kMaxPreviewSamples);
  state.preview_fine_samples = std::clamp(state.preview_fine_samples, 0, kMaxPreviewSamples);
}

// The batch's thumbnails; clicking one shows that sample in the views and export.
void samples_section(const AppState& state, PanelActions& actions, ImGuiImages& images) {
  if (state.latents.size() < 2) return;
  ImGui::Text("Samples (seed %d): click one to show it", state.seed);
  ImDrawList* draw_list = ImGui::GetWindowDrawList();
  for (size_t i = 0; i < state.latents.size(); ++i) {
    if (i % kThumbnailsPerRow != 0) ImGui::SameLine();
    ImGui::BeginGroup();
    const std::string id = "##sample" + std::to_string(i);
    const uint32_t slot = kFirstSampleSlot + static_cast<uint32_t>(i);
    if (images.image_button(id.c_str(), slot, ImVec2(kThumbnailSize, kThumbnailSize))) {
      actions.select_sample = static_cast<int>(i);
    }
    const render::ViewRect rect = last_item_rect();
    actions.sample_thumbnails.push_back(rect);
    const bool selected = i == state.shown_sample;
    const ImU32 border = ImGui::GetColorU32(selected ? ImGuiCol_ButtonActive : ImGuiCol_Border);
    draw_list->AddRect(ImVec2(rect.x, rect.y), ImVec2(rect.x + rect.width, rect.y + rect.height), border, 0.0f, 0,
                       selected ? 3.0f : 1.0f);
    if (!images.has_image(slot)) {
      draw_list->AddText(ImVec2(rect.x + 6, rect.y + 6), ImGui::GetColorU32(ImGuiCol_TextDisabled), "...");
    }
    const bool meshed = i < state.sample_meshes.size() && !state.sample_meshes[i].empty();
    if (ImGui::IsItemHovered()) {
      ImGui::SetTooltip("sample %zu of %zu (seed %d)%s", i + 1, state.latents.size(), state.seed,
                        meshed ? "" : "  no mesh yet");
    }
    ImGui::Text("#%zu%s", i + 1, selected ? " shown" : "");
    ImGui::EndGroup();
  }
}

// Custom files (each replaces an official one) and a folder of hand-downloaded official files.
void custom_models_section(AppState& state, PanelActions& actions) {
  ImGui::TextDisabled("files on disk (empty: the official ones)");
  for (size_t i = 0; i < kModelPathCount; ++i) {
    auto& field = state.model_fields[i];
    ImGui::SetNextItemWidth(-130.0f);
    const std::string label = std::string(model_path_label(static_cast<ModelPath>(i))) + "##model" + std::to_string(i);
    ImGui::InputText(label.c_str(), field.data(), field.size());
  }
  const bool edited = state.model_fields_paths() != state.models;
  ImGui::BeginDisabled(!edited);
  if (ImGui::Button("Apply", ImVec2(80, 0))) actions.apply_models = true;
  ImGui::SameLine();
  if (ImGui::Button("Revert", ImVec2(80, 0))) {
    state.set_model_fields(state.models);
    state.models_error.clear();
  }
  ImGui::EndDisabled();
  if (!state.models_error.empty()) error_text(state.models_error);
}

void models_section(AppState& state, const ModelsView& models, PanelActions& actions) {
  if (!ImGui::CollapsingHeader("Models")) return;
  if (!state.models_in_use.empty()) ImGui::TextWrapped("in use: %s", state.models_in_use.c_str());
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
  ImGui::Separator();
  custom_models_section(state, actions);
}

// A training run's loss curve, read from its loss.csv as it grows.
void training_section(AppState& state, PanelActions& actions) {
  if (!ImGui::CollapsingHeader("Training")) return;
  ImGui::SetNextItemWidth(-70.0f);
  if (ImGui::InputText("##run_dir", state.training_run_dir.data(), state.training_run_dir.size(),
                       ImGuiInputTextFlags_EnterReturnsTrue)) {
    actions.follow_training = true;
  }
  ImGui::SameLine();
  if (ImGui::Button("Follow", ImVec2(62, 0))) actions.follow_training = true;
  ImGui::TextDisabled("a run folder (shape-cli train's output) or its loss.csv");
  const LossCurveTail& tail = state.training;
  if (!tail.message().empty()) {
    if (tail.message_is_error()) {
      error_text(tail.message());
    } else {
      ImGui::TextWrapped("%s", tail.message().c_str());
    }
  }
  const auto& columns = tail.columns();
  if (columns.size() < 3 || tail.rows() == 0) return;
  // Columns 0 and 1 are step and seconds; the rest are losses and the like.
  state.training_column = std::clamp(state.training_column, 0, static_cast<int>(columns.size()) - 3);
  const size_t column = static_cast<size_t>(state.training_column) + 2;
  ImGui::SetNextItemWidth(150.0f);
  if (ImGui::BeginCombo("##column", columns[column].c_str())) {
    for (size_t i = 2; i < columns.size(); ++i) {
      if (ImGui::Selectable(columns[i].c_str(), i == column)) state.training_column = static_cast<int>(i - 2);
    }
    ImGui::EndCombo();
  }
  ImGui::SameLine();
  ImGui::Checkbox("log scale", &state.training_log_scale);

  std::vector<float> plotted;
  plotted.reserve(tail.rows());
  for (float value : tail.values(column)) {
    if (!std::isfinite(value) || (state.training_log_scale && value <= 0.0f)) continue;
    plotted.push_back(state.training_log_scale ? std::log10(value) : value);
  }
  const std::string overlay = columns[column] + (state.training_log_scale ? " (log10)" : "");
  ImGui::PlotLines("##loss", plotted.data(), static_cast<int>(plotted.size()), 0, overlay.c_str(), FLT_MAX, FLT_MAX,
                   ImVec2(-1.0f, 110.0f));
  const double elapsed = tail.values(1).back();
  ImGui::Text("step %.0f  %s %.4g  elapsed %.0fm %02.0fs", static_cast<double>(tail.values(0).back()),
              columns[column].c_str(), static_cast<double>(tail.values(column).back()), std::floor(elapsed / 60.0),
              std::fmod(elapsed, 60.0));
}

void view_section(AppState& state) {
  if (!ImGui::CollapsingHeader("View", ImGuiTreeNodeFlags_DefaultOpen)) return;
  int mode = static_cast<int>(state.view);
  ImGui::RadioButton("Split", &mode, static_cast<int>(render::ViewMode::Split));
  ImGui::SameLine();
  ImGui::RadioButton("NeRF", &mode, static_cast<int>(render::ViewMode::ImageOnly));
  ImGui::SameLine();
  ImGui::RadioButton("Mesh", &mode, static_cast<int>(render::ViewMode::MeshOnly));
  state.view = static_cast<render::ViewMode>(mode);
  ImGui::Checkbox("wireframe", &state.wireframe);
  ImGui::SameLine();
  ImGui::Checkbox("light background", &state.light_background);
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
  ImGui::InputInt("spin frames", &state.turntable_frames, 1, 12);
  state.turntable_frames = std::clamp(state.turntable_frames, static_cast<int>(kMinTurntableFrames),
                                      static_cast<int>(kMaxTurntableFrames));
  ImGui::InputInt("spin pixels", &state.turntable_size, 16, 64);
  state.turntable_size = std::clamp(state.turntable_size, static_cast<int>(kMinTurntableSize),
                                    static_cast<int>(kMaxTurntableSize));
  if (state.exporting && state.export_cancellable) {
    if (ImGui::Button("Cancel export", ImVec2(248, 0))) actions.cancel_export = true;
  } else {
    ImGui::BeginDisabled(!state.has_result || state.exporting);
    if (ImGui::Button("Export", ImVec2(120, 0))) actions.export_mesh = true;
    ImGui::SameLine();
    if (ImGui::Button("Turntable", ImVec2(120, 0))) actions.export_turntable = true;
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) {
      ImGui::SetTooltip("an animated WebP turning around the NeRF, written to <path>.webp");
    }
    ImGui::EndDisabled();
  }
  if (!state.export_message.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, state.export_failed ? kErrorColor : kOkColor);
    ImGui::TextWrapped("%s", state.export_message.c_str());
    ImGui::PopStyleColor();
  }
}

}  // namespace

namespace {

// A dark rounded tag with `text` at the top-left corner of `view`, `row` lines down.
void view_tag(const render::ViewRect& view, int row, const std::string& text, ImU32 background) {
  if (view.empty() || text.empty()) return;
  ImDrawList* draw = ImGui::GetForegroundDrawList();
  const ImVec2 size = ImGui::CalcTextSize(text.c_str());
  const float pad = 4.0f, line = ImGui::GetTextLineHeight() + 2.0f * pad + 3.0f;
  const ImVec2 at(view.x + 8.0f, view.y + 8.0f + static_cast<float>(row) * line);
  draw->AddRectFilled(ImVec2(at.x - pad, at.y - pad), ImVec2(at.x + size.x + pad, at.y + size.y + pad), background, 4.0f);
  draw->AddText(at, IM_COL32(255, 255, 255, 255), text.c_str());
}

}  // namespace

void draw_view_labels(const AppState& state, const render::ViewLayout& layout) {
  const ImU32 plain = IM_COL32(62, 62, 70, 230);
  const bool demo = state.model_label.rfind("demo model", 0) == 0;
  const ImU32 model_colour = demo ? IM_COL32(176, 128, 24, 235) : plain;
  if (layout.show_image && (state.has_result || state.image_step >= 0)) {
    const std::string what = state.image_step >= 0 && state.generating
                                 ? "NeRF preview, step " + std::to_string(state.image_step + 1) + "/" +
                                       std::to_string(state.total_steps)
                                 : std::string("NeRF");
    view_tag(layout.image, 0, what, plain);
    view_tag(layout.image, 1, state.model_label, model_colour);
  }
  if (layout.show_mesh && !state.mesh.empty()) {
    view_tag(layout.mesh, 0, "STF mesh, " + std::to_string(state.mesh.triangles.size()) + " triangles", plain);
    if (!layout.show_image) view_tag(layout.mesh, 1, state.model_label, model_colour);
  }
}

PanelActions draw_panels(AppState& state, float window_height, const ModelsView& models, ImGuiImages& images) {
  PanelActions actions;
  ImGui::SetNextWindowPos(ImVec2(0.0f, 0.0f));
  ImGui::SetNextWindowSize(ImVec2(kPanelWidth, window_height));
  ImGui::Begin("Shape Studio", nullptr,
               ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
                   ImGuiWindowFlags_NoSavedSettings);
  prompt_section(state, actions, images);
  ImGui::Separator();
  samples_section(state, actions, images);
  settings_section(state);
  view_section(state);
  export_section(state, actions);
  models_section(state, models, actions);
  training_section(state, actions);
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
