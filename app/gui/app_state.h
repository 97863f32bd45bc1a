// What the window shows and edits, apart from Vulkan: the user's inputs, the job's progress, the
// results, and the messages. Worker events are folded in here (testable without a window).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "gui/custom_models.h"
#include "gui/generation_worker.h"
#include "gui/loss_curve_tail.h"
#include "gui/settings_store.h"
#include "inference/clip/image_u8.h"
#include "inference/mesh/mesh.h"
#include "renderer/view_layout.h"

namespace shape::studio {

inline constexpr const char* kExportFormats[] = {"glb", "gltf", "ply", "obj"};

using TextField = std::array<char, 1024>;  // ImGui edits text in place
// CLIP reads 77 tokens (about 300 characters of English); the field holds far more so that a pasted
// prompt is never cut without a word.
using PromptField = std::array<char, 4096>;

struct AppState {
  // Inputs.
  PromptField prompt{};
  std::string prompt_notice;  // what CLIP will not read of the prompt (clip_reading_notice)
  std::optional<ImageU8> image_condition;  // a dropped picture: generation uses the image model
  std::string image_name;
  int seed = 0;
  // The sampler: a preset's, or (no preset: Custom) the sampler and steps below.
  std::optional<SamplerPreset> sampler_preset = kDefaultSamplerPreset;
  SamplerKind sampler = SamplerKind::kHeun;
  int steps = 64;
  float guidance = 15.0f;
  // The user set the guidance this session (slider, command line): a model's recommended guidance
  // (the demo model's) no longer replaces it.
  bool guidance_chosen = false;
  // The guidance a recommendation replaced: what is saved, and what returns with a model that
  // recommends nothing.
  std::optional<float> guidance_before_recommendation;
  // While a recommendation with a late scale is in use: that part ("then none below sigma 3"), shown
  // beside the guidance slider's value.
  std::string guidance_late_note;
  // While an image is the condition (Shap-E's image guidance, 3, in use): the text guidance, saved
  // in its place and restored when the image is removed.
  std::optional<float> text_guidance;
  PrecisionRequest precision = PrecisionRequest::kAuto;  // the diffusion transformer's arithmetic
  std::string device = "cpu";  // where the models run (--device)
  int grid_size = 128;
  int preview_size = 64;
  int preview_every = 1;
  int preview_coarse_samples = 32;
  int preview_fine_samples = 32;
  render::ViewMode view = render::ViewMode::Split;
  bool wireframe = false;
  bool light_background = false;  // one background for both views: dark, or white as shap-e renders
  TextField export_path{};
  int export_format = 0;  // index into kExportFormats
  int export_grid = 128;
  int simplify_triangles = static_cast<int>(kDefaultExportTriangles);  // 0 keeps them all
  int turntable_frames = 24;
  int turntable_size = 128;  // pixels per side
  int samples = 1;             // 1..8 samples per generation
  std::vector<std::string> history;  // previous prompts, most recent first
  CustomModelPaths models;           // the files in use (applied from the fields below)
  std::array<TextField, kModelPathCount> model_fields{};  // the Models panel's edits
  std::string models_error;          // why the last Apply was refused

  // The Training panel.
  TextField training_run_dir{};
  LossCurveTail training;
  int training_column = 0;  // index into training.value_columns()
  bool training_log_scale = true;

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
  std::vector<ImageU8> sample_thumbnails;  // per sample, as they arrive (empty image until then)
  Mesh mesh;  // the shown sample's mesh (picking reads it)
  bool has_result = false;

  // Messages.
  std::string models_in_use;  // what the worker last loaded, e.g. that the demo model stands in
  std::string model_label;    // its short name, shown on the views ("demo model (not Shap-E)")
  std::string status;
  bool status_is_error = false;
  std::string export_message;
  bool export_failed = false;
  bool exporting = false;             // an export runs (export_message says how far)
  bool export_cancellable = false;    // ... and it is a turntable, which stops between frames

  // Set by events, consumed by the frame loop (GPU uploads happen between frames).
  std::optional<ImageU8> image_to_show;
  int64_t image_step = -1;  // the step image_to_show previews (-1: not a step preview)
  bool mesh_changed = false;
  std::vector<size_t> thumbnails_changed;  // samples whose thumbnail arrived
  bool reference_changed = false;          // the dropped image was set or removed

  std::string prompt_text() const { return prompt.data(); }
  // False when `text` was cut to fit the field (the status says so).
  bool set_prompt(const std::string& text);
  void set_export_path(const std::string& text);
  void set_model_fields(const CustomModelPaths& paths);
  CustomModelPaths model_fields_paths() const;
  void set_status(std::string message, bool is_error = false);
  // The sampler and steps a generation uses.
  SamplerChoice sampler_choice() const;
};

// Switches to `preset`, or to Custom (nullopt), which starts from the sampler and steps in use.
void choose_sampler_preset(AppState& state, std::optional<SamplerPreset> preset);

// The persisted part of the state, and back (values clamped; an unknown view, format, sampler or
// preset keeps the default).
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
// The views' background (both panes, the NeRF renders included): RGB bytes.
std::array<uint8_t, 3> background_rgb(const AppState& state);

// How previews and orbit re-renders are rendered: the preview sample caps, the seed's ray draws,
// the renderer's fast path, the views' background.
RenderSettings preview_render_settings(const AppState& state);

// Clears the dropped image: generation goes back to the text prompt.
void remove_reference_image(AppState& state);

// The file a pasted clipboard text names, as a drop would give it: its first line, trimmed, a
// file:// URI decoded (file managers copy those). Empty for text that names nothing.
std::filesystem::path pasted_path(const std::string& clipboard_text);

// RGB, gray or RGBA pixels → RGBA8 for the image display.
std::vector<uint8_t> to_rgba(const ImageU8& image);

// Empty when CLIP reads all of `prompt`; else how many tokens it has and where CLIP stops reading
// (it reads the first 77, start and end tokens included). Empty too when the vocabulary is missing.
std::string clip_reading_notice(const std::string& prompt);

// "3/64  sigma 12.3  ETA 1m 05s" for the progress bar.
std::string progress_text(const AppState& state);

// The one line that says what is happening now: the running job's phase (loading, step k of n,
// meshing), else how the last thing ended (done in T, failed: why, cancelled), else "idle".
struct StatusLine {
  enum class Tone { kIdle, kBusy, kDone, kError };
  std::string text;
  Tone tone = Tone::kIdle;
};
StatusLine status_line(const AppState& state);

}  // namespace shape::studio
