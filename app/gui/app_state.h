// What the window shows and edits, apart from Vulkan: the user's inputs, the job's progress, the
// results, and the messages. Worker events are folded in here (testable without a window).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gui/generation_worker.h"
#include "gui/settings_store.h"
#include "inference/clip/image_u8.h"
#include "inference/mesh/mesh.h"
#include "renderer/view_layout.h"

namespace shape::studio {

inline constexpr const char* kExportFormats[] = {"glb", "gltf", "ply", "obj"};

struct AppState {
  // Inputs.
  std::array<char, 1024> prompt{};        // ImGui edits it in place
  std::optional<ImageU8> image_condition;  // a dropped picture: generation uses the image model
  std::string image_name;
  int seed = 0;
  int steps = 64;
  float guidance = 15.0f;
  int grid_size = 128;
  int preview_size = 64;
  render::ViewMode view = render::ViewMode::Split;
  bool wireframe = false;
  std::array<char, 1024> export_path{};
  int export_format = 0;  // index into kExportFormats
  int export_grid = 128;
  int simplify_triangles = 0;  // 0 keeps them all
  int samples = 1;             // 1..8 samples per generation
  std::vector<std::string> history;  // previous prompts, most recent first

  // The current job.
  uint64_t job = 0;
  bool generating = false;
  std::string phase;  // "loading models", "sampling", "meshing"
  int64_t step = 0;
  int64_t total_steps = 0;
  double sigma = 0.0;
  double elapsed_seconds = 0.0;
  double eta_seconds = 0.0;

  // Results.
  std::vector<Latent> latents;
  size_t shown_sample = 0;  // which sample the views, meshing and export use
  std::vector<Mesh> sample_meshes;  // per sample, as they arrive (may be empty)
  Mesh mesh;  // the shown sample's mesh (picking reads it)
  bool has_result = false;

  // Messages.
  std::string status;
  bool status_is_error = false;
  std::string export_message;
  bool export_failed = false;

  // Set by events, consumed by the frame loop (GPU uploads happen between frames).
  std::optional<ImageU8> image_to_show;
  bool mesh_changed = false;

  std::string prompt_text() const { return prompt.data(); }
  void set_prompt(const std::string& text);
  void set_export_path(const std::string& text);
  void set_status(std::string message, bool is_error = false);
};

// The persisted part of the state, and back (values clamped; an unknown view/format keeps the default).
StudioSettings settings_from_state(const AppState& state);
void apply_settings(AppState& state, const StudioSettings& settings);
// Records the prompt of a generation that starts (text prompts only) in the history.
void remember_prompt(AppState& state);
// Shows sample `index` (its mesh when already made). Returns false for an index out of range.
bool select_sample(AppState& state, size_t index);

// Folds one worker event into the state. Returns true when it ends the current generation job
// (finished, failed or cancelled).
bool apply_event(AppState& state, const WorkerEvent& event);

// The request the Generate button makes from the inputs.
GenerationRequest make_request(const AppState& state);

// RGB, gray or RGBA pixels → RGBA8 for the image display.
std::vector<uint8_t> to_rgba(const ImageU8& image);

// "3/64  sigma 12.3  ETA 1m 05s" for the progress bar.
std::string progress_text(const AppState& state);

}  // namespace shape::studio
