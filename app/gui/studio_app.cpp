#include "gui/studio_app.h"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <imgui.h>

#include <algorithm>
#include <cstdarg>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "gui/app_state.h"
#include "gui/clipboard_image.h"
#include "gui/generation_worker.h"
#include "gui/imgui_images.h"
#include "gui/imgui_layer.h"
#include "gui/model_downloads.h"
#include "gui/model_selection.h"
#include "gui/panels.h"
#include "gui/progressive_render.h"
#include "gui/settings_store.h"
#include "gui/view_input.h"
#include "inference/clip/image_file.h"
#include "inference/mesh/mesh_ops.h"
#include "renderer/capture.h"
#include "renderer/image_display.h"
#include "renderer/mesh_pipeline.h"
#include "renderer/orbit_camera.h"
#include "renderer/validation_monitor.h"
#include "renderer/vulkan_context.h"
#include "renderer/window_renderer.h"

namespace shape::studio {

namespace {

using Clock = std::chrono::steady_clock;

constexpr float kViewGap = 4.0f;
constexpr double kBusyFrameSeconds = 1.0 / 60.0;  // Xvfb never throttles present
constexpr double kIdleWaitSeconds = 0.5;
constexpr int kSettleFrames = 3;  // frames drawn before a test-hook exit (uploads, ImGui layout)

double seconds_now() { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); }

// shap-e's NeRF camera matching the orbit camera, at `height` pixels and the view's aspect.
Camera nerf_camera(const render::OrbitCamera& orbit, const render::ViewRect& view, int height) {
  const auto eye = orbit.eye();
  const auto target = orbit.target();
  const auto up = orbit.up();
  const auto width = std::max<int64_t>(1, std::lround(static_cast<float>(height) * view.aspect()));
  return look_at_camera({eye.x, eye.y, eye.z}, {target.x, target.y, target.z}, {up.x, up.y, up.z}, orbit.fov_y(),
                        width, height);
}

// --trace lines for tests that drive the window: flushed at once, the test reads them live.
void trace_line(const char* format, ...) __attribute__((format(printf, 1, 2)));
void trace_line(const char* format, ...) {
  std::fputs("trace: ", stdout);
  va_list args;
  va_start(args, format);
  std::vprintf(format, args);
  va_end(args);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string rect_text(const render::ViewRect& rect) {
  char text[96];
  std::snprintf(text, sizeof text, "%.0f %.0f %.0f %.0f", rect.x, rect.y, rect.width, rect.height);
  return text;
}

struct GlfwSession {
  GlfwSession() : ok(glfwInit() == GLFW_TRUE) {}
  ~GlfwSession() {
    if (ok) glfwTerminate();
  }
  bool ok;
};

struct WindowHandle {
  GLFWwindow* window = nullptr;
  ~WindowHandle() {
    if (window) glfwDestroyWindow(window);
  }
};

class Studio {
 public:
  Studio(const AppOptions& options, GLFWwindow* window, render::VulkanContext& context)
      : options_(options),
        window_(window),
        context_(context),
        renderer_(context),
        imgui_(window, context, renderer_),
        display_(context, renderer_.render_pass(), kImageSlots),
        images_(display_),
        meshes_(context, renderer_.render_pass()),
        worker_(make_model_resolver(options.models), options.models.device),
        models_(options.models),
        downloader_(std::make_unique<ModelDownloader>(model_locations(options.models))) {
    glfwSetWindowUserPointer(window, this);
    glfwSetDropCallback(window, [](GLFWwindow* w, int count, const char** paths) {
      if (count > 0) static_cast<Studio*>(glfwGetWindowUserPointer(w))->handle_drop(paths[0]);
    });
    init_state();
  }

  ~Studio() {
    glfwSetDropCallback(window_, nullptr);
    save_settings_now();
  }

  int run();

 private:
  void init_state();
  void handle_drop(const std::filesystem::path& path);
  void paste_from_clipboard();
  void use_reference_image(ImageU8 image, const std::string& name);
  void use_models();
  void apply_model_fields();
  void follow_training_run();
  void start_generation();
  // The Export panel's path and format; --export passes its own, leaving the panel's (and the saved
  // settings) as the user left them.
  void start_export();
  void start_export(std::filesystem::path path, MeshFormat format);
  // A turntable of the shown sample's NeRF: the Export panel's path with .webp, or --export's.
  void start_turntable_export(std::filesystem::path path);
  // Sends `request` for the shown sample to the worker, saying `doing` next to the Export button
  // (or that there is nothing to export yet).
  void submit_export(ExportRequest request, const std::string& doing);
  void apply_worker_events();
  void upload_results();
  void handle_actions(const PanelActions& actions);
  void apply_precision();
  void update_nerf_camera(const render::ViewLayout& layout, bool camera_moved, double now);
  void refine_nerf_view(const WorkerEvent& event);
  void request_render(int height);
  void draw_frame(const render::ViewLayout& layout, const std::filesystem::path& screenshot);
  void trace_layout(const PanelActions& actions, const render::ViewLayout& layout);
  bool test_hooks_done();
  void load_saved_settings();
  void save_settings_now();
  void save_settings_if_changed();
  ConditioningMode current_mode() const;
  void refresh_models();
  void poll_downloads();
  void show_sample(size_t index);

  const AppOptions& options_;
  GLFWwindow* window_;
  render::VulkanContext& context_;
  render::WindowRenderer renderer_;
  ImGuiLayer imgui_;
  render::ImageDisplay display_;  // slots: kNerfSlot, kReferenceSlot, the sample thumbnails
  ImGuiImages images_;
  render::MeshPipeline meshes_;
  render::OrbitCamera camera_;
  ViewInput input_;
  AppState state_;
  GenerationWorker worker_;  // joined before the Vulkan objects go
  cli::ModelOptions models_;  // what loads: the command line's options with the panel's files
  std::unique_ptr<ModelDownloader> downloader_;  // last: cancelled and joined first
  std::filesystem::path settings_path_;
  StudioSettings saved_settings_;
  std::optional<PrecisionRequest> applied_precision_;  // what the worker was last told
  bool settings_write_failed_ = false;
  ModelsView models_view_;
  ConditioningMode models_mode_ = ConditioningMode::kText;
  uint64_t seen_download_runs_ = 0;
  std::optional<Camera> nerf_camera_;  // the last NeRF view's camera
  ProgressiveRender progressive_;
  std::deque<WorkerEvent> backlog_;  // drained events not applied yet (see apply_worker_events)
  std::filesystem::path step_screenshot_;  // --screenshot-at-step: the next frame's PNG
  std::set<std::filesystem::path> step_screenshots_taken_;
  render::ViewRect traced_prompt_;
  std::vector<render::ViewRect> traced_thumbnails_;
  std::string traced_views_;
  std::string traced_status_;

  bool job_failed_ = false;      // for the test hooks' exit code
  bool export_pending_ = false;  // --export's request is out
  bool job_hook_done_ = false;   // --generate's job (and --export) are over
  int settle_frames_ = 0;
  bool screenshot_taken_ = false;
  render::ViewRect last_image_view_;
  // A sphere the views are to frame at the next frame (its layout gives the panes' aspect).
  struct Framing {
    glm::vec3 centre{0.0f};
    float radius = 1.0f;
  };
  std::optional<Framing> pending_framing_;
  bool refining_ = false;  // the render last asked for sharpens a still view (refine_nerf_view)
  bool sharp_ = false;     // the NeRF view shows a render at the pane's own resolution
  bool shown_light_background_ = false;  // the background the NeRF view was last asked for
};

void Studio::load_saved_settings() {
  settings_path_ = settings_file_path();
  const SettingsLoad load = load_settings(settings_path_);
  apply_settings(state_, load.settings);
  saved_settings_ = load.settings;
  if (!load.error.empty()) {
    state_.set_status(load.error, true);
    std::fprintf(stderr, "shape-studio: %s\n", load.error.c_str());
  }
}

void Studio::save_settings_now() {
  if (settings_path_.empty()) return;
  const StudioSettings settings = settings_from_state(state_);
  try {
    save_settings(settings_path_, settings);
    saved_settings_ = settings;
    settings_write_failed_ = false;
  } catch (const std::exception& error) {
    if (!settings_write_failed_) state_.set_status(std::string("settings not saved: ") + error.what(), true);
    settings_write_failed_ = true;  // said once; not retried every frame
    saved_settings_ = settings;
  }
}

// Written when something changed and no widget is being dragged or typed into.
void Studio::save_settings_if_changed() {
  if (ImGui::IsAnyItemActive()) return;
  if (settings_from_state(state_) != saved_settings_) save_settings_now();
}

ConditioningMode Studio::current_mode() const {
  return state_.image_condition ? ConditioningMode::kImage : ConditioningMode::kText;
}

void Studio::refresh_models() {
  models_mode_ = current_mode();
  models_view_.mode = models_mode_ == ConditioningMode::kImage ? "image" : "text";
  const WeightsLocations locations = model_locations(models_);
  models_view_.cache_dir = locations.cache_directory.string();
  models_view_.weights_dir = locations.weights_directory ? locations.weights_directory->string() : "";
  try {
    models_view_.rows = model_rows(WeightsStore(locations), official_model_weights(models_mode_));
  } catch (const std::exception& error) {
    models_view_.rows.clear();
    state_.set_status(std::string("cannot check the model files: ") + error.what(), true);
  }
  models_view_.custom_note = custom_models_note(models_);
}

// Loads through the files in state_.models from the next job on (the worker drops what it loaded).
void Studio::use_models() {
  models_ = with_custom_paths(options_.models, state_.models);
  worker_.replace_models(make_model_resolver(models_));
  // The downloader searches the weights folder too; a running download keeps its own until it ends.
  if (!downloader_->running()) downloader_ = std::make_unique<ModelDownloader>(model_locations(models_));
  refresh_models();
}

void Studio::apply_model_fields() {
  const CustomModelPaths paths = state_.model_fields_paths();
  state_.models_error = check_custom_models(paths);
  if (!state_.models_error.empty()) {
    state_.set_status("model files not changed: see the Models panel", true);
    return;
  }
  state_.models = paths;
  use_models();
  state_.set_status("model files changed");
  if (!state_.generating) worker_.load_models(current_mode());  // names any problem at once
}

void Studio::follow_training_run() {
  const std::string folder = state_.training_run_dir.data();
  state_.training.follow(folder.empty() ? std::filesystem::path() : loss_file_of(folder));
  state_.training.poll(seconds_now());
}

void Studio::poll_downloads() {
  models_view_.download = downloader_->snapshot();
  if (current_mode() != models_mode_) refresh_models();
  if (models_view_.download.finished_runs != seen_download_runs_) {
    seen_download_runs_ = models_view_.download.finished_runs;
    refresh_models();
    state_.set_status(models_view_.download.result, models_view_.download.result_is_error);
    // The models can load now; loading also reports what is still missing.
    if (!models_view_.download.result_is_error && !state_.generating) worker_.load_models(current_mode());
  }
}

void Studio::show_sample(size_t index) {
  if (!select_sample(state_, index)) return;
  if (options_.trace) trace_line("shown sample %zu", index);
  if (!state_.generating && nerf_camera_) worker_.render(state_.latents[index], *nerf_camera_, preview_render_settings(state_));
}

void Studio::init_state() {
  load_saved_settings();
  refresh_models();
  state_.set_prompt(options_.prompt);
  state_.prompt_notice = clip_reading_notice(state_.prompt_text());
  if (state_.export_path[0] == '\0') state_.set_export_path("shape.glb");
  if (options_.seed) state_.seed = static_cast<int>(std::min<uint64_t>(*options_.seed, 0x7fffffff));
  if (options_.sampler.custom()) {
    const auto choice = options_.sampler.choice();
    state_.sampler_preset.reset();
    state_.sampler = choice.sampler;
    state_.steps = static_cast<int>(choice.steps);
  } else if (options_.sampler.preset) {
    state_.sampler_preset = options_.sampler.preset;
  }
  if (options_.guidance) {
    state_.guidance = static_cast<float>(*options_.guidance);
    state_.guidance_chosen = true;
  }
  if (options_.grid_size) state_.grid_size = state_.export_grid = static_cast<int>(*options_.grid_size);
  if (options_.preview_size) state_.preview_size = static_cast<int>(*options_.preview_size);
  if (options_.turntable_frames) state_.turntable_frames = static_cast<int>(*options_.turntable_frames);
  if (options_.turntable_size) state_.turntable_size = static_cast<int>(*options_.turntable_size);
  if (options_.preview_every) state_.preview_every = static_cast<int>(*options_.preview_every);
  if (options_.samples) state_.samples = static_cast<int>(*options_.samples);
  state_.device = options_.models.device;
  if (options_.models.precision) state_.precision = *options_.models.precision;
  apply_precision();
  state_.models = merge_custom_paths(state_.models, options_.models);
  state_.set_model_fields(state_.models);
  state_.models_error = check_custom_models(state_.models);
  if (!state_.models_error.empty()) {
    // Kept (loading names the failure too), but said at once: the Models panel shows it in full.
    state_.set_status("model files: " + state_.models_error, true);
    std::fprintf(stderr, "shape-studio: model files: %s\n", state_.models_error.c_str());
  }
  use_models();
  if (state_.training_run_dir[0] != '\0') follow_training_run();
  if (options_.view_given) state_.view = options_.view;
  if (!options_.drop.empty()) handle_drop(options_.drop);
  if (options_.generate) {
    start_generation();
  } else {
    // Load now, so the first Generate does not wait and missing weights are named at once.
    worker_.load_models(state_.image_condition ? ConditioningMode::kImage : ConditioningMode::kText);
  }
  job_hook_done_ = !options_.generate;
}

void Studio::paste_from_clipboard() {
  // Image data first ("Copy image"), then a copied file's path.
  const ClipboardImage image = read_clipboard_image(window_);
  if (!image.error.empty()) {
    state_.set_status("cannot paste: " + image.error, true);
    return;
  }
  if (!image.bytes.empty()) {
    const std::string name = "pasted " + image.type.substr(image.type.find('/') + 1) + " image";
    try {
      use_reference_image(decode_image(image.bytes.data(), image.bytes.size(), "the " + name), name);
    } catch (const std::exception& error) {
      state_.set_status(error.what(), true);
    }
    return;
  }
  const char* text = glfwGetClipboardString(window_);
  const std::filesystem::path path = pasted_path(text ? text : "");
  if (path.empty()) {
    state_.set_status("nothing to paste: copy a " + std::string(kSupportedImageFormats) + " image or file", true);
    return;
  }
  handle_drop(path);
}

void Studio::handle_drop(const std::filesystem::path& path) {
  if (!has_image_extension(path)) {
    state_.set_status("cannot use " + path.filename().string() + ": drop a " + std::string(kSupportedImageFormats) + " image", true);
    return;
  }
  try {
    use_reference_image(load_image_file(path), path.filename().string());
  } catch (const std::exception& error) {
    state_.set_status(error.what(), true);
  }
}

void Studio::use_reference_image(ImageU8 image, const std::string& name) {
  // Shown as the panel's thumbnail only: in the NeRF view it would look like a result.
  state_.image_condition = std::move(image);
  state_.reference_changed = true;
  state_.image_name = name;
  // Shap-E's image guidance, for this image only: the text guidance is what is saved and what
  // comes back when the image is removed.
  if (!state_.text_guidance) {
    state_.text_guidance = state_.guidance_before_recommendation.value_or(state_.guidance);
  }
  state_.guidance_before_recommendation.reset();
  state_.guidance = 3.0f;
  state_.set_status("image condition: " + state_.image_name + " (uses the image300M model)");
}

void Studio::start_generation() {
  if (state_.generating) return;
  remember_prompt(state_);
  state_.shown_sample = 0;
  state_.sample_meshes.clear();
  progressive_.cancel();
  // Shap-E's objects lie within about a unit of the origin: the previews frame that sphere until the
  // mesh gives the object's own bounds.
  pending_framing_ = Framing{};
  state_.job = worker_.generate(make_request(state_));
  state_.generating = true;
  state_.phase = "starting";
  state_.step = 0;
  state_.total_steps = state_.sampler_choice().steps;
  state_.set_status("generating...");
}

void Studio::start_export() {
  try {
    // The format combo wins; a path without the matching extension gets it appended.
    const auto format = mesh_format_from_path(std::string("x.") + kExportFormats[state_.export_format]);
    std::filesystem::path path = state_.export_path.data();
    if (path.extension() != file_extension(format)) path += file_extension(format);
    start_export(std::move(path), format);
  } catch (const std::exception& error) {
    state_.export_message = error.what();
    state_.export_failed = true;
  }
}

void Studio::start_turntable_export(std::filesystem::path path) {
  ExportRequest request;
  request.path = std::move(path);
  TurntableSettings turntable;
  turntable.seed = static_cast<uint64_t>(std::max(0, state_.seed));
  turntable.frames = state_.turntable_frames;
  turntable.size = state_.turntable_size;
  turntable.render = preview_render_settings(state_);  // the views' background and sample caps
  request.turntable = turntable;
  submit_export(std::move(request), "rendering a turntable to");
}

void Studio::start_export(std::filesystem::path path, MeshFormat format) {
  ExportRequest request;
  request.grid_size = state_.export_grid;
  request.path = std::move(path);
  request.options.format = format;
  request.options.target_triangles = static_cast<size_t>(state_.simplify_triangles);
  submit_export(std::move(request), "exporting");
}

void Studio::submit_export(ExportRequest request, const std::string& doing) {
  if (state_.latents.empty()) {
    state_.export_message = "nothing to export yet";
    state_.export_failed = true;
    return;
  }
  request.latent = state_.latents[std::min(state_.shown_sample, state_.latents.size() - 1)];
  state_.export_message = doing + " " + request.path.string() + "...";
  state_.export_failed = false;
  state_.exporting = true;
  state_.export_cancellable = request.turntable.has_value();
  worker_.export_mesh(std::move(request));
}

// Applies the events drained so far, oldest first. When a preview that --screenshot-at-step wants
// arrives, the rest waits for the next frame, so that frame shows exactly that step.
void Studio::apply_worker_events() {
  for (auto& event : worker_.drain_events()) backlog_.push_back(std::move(event));
  while (!backlog_.empty()) {
    const WorkerEvent event = std::move(backlog_.front());
    backlog_.pop_front();
    if (options_.trace) {
      trace_line("event %s job %llu step %lld sample %zu image %dx%d", to_string(event.kind),
                 static_cast<unsigned long long>(event.job), static_cast<long long>(event.step), event.sample,
                 event.image.width, event.image.height);
      if (event.kind == WorkerEventKind::Preview) trace_line("preview render %.3f s", event.render_seconds);
    }
    const bool job_ended = apply_event(state_, event);
    if (job_ended && event.kind != WorkerEventKind::Finished) job_failed_ = true;
    refine_nerf_view(event);
    if (event.job == 0 &&
        (event.kind == WorkerEventKind::Exported || event.kind == WorkerEventKind::Failed ||
         event.kind == WorkerEventKind::Cancelled) &&
        export_pending_) {
      export_pending_ = false;
      job_failed_ |= event.kind == WorkerEventKind::Failed;
      job_hook_done_ = true;
    }
    if (job_ended && options_.generate && !job_hook_done_) {
      if (!options_.export_path.empty() && event.kind == WorkerEventKind::Finished) {
        // --export: the format comes from the path's extension.
        try {
          if (options_.export_path.extension() == ".webp") {
            start_turntable_export(options_.export_path);
          } else {
            start_export(options_.export_path, mesh_format_from_path(options_.export_path));
          }
          export_pending_ = true;
        } catch (const std::exception& error) {
          state_.set_status(error.what(), true);
          job_failed_ = true;
          job_hook_done_ = true;
        }
      } else {
        job_hook_done_ = true;
      }
    }
    // The first preview at or after each wanted step, the final one included: step previews skip
    // steps to keep within their share of the sampling time.
    if (event.kind == WorkerEventKind::Preview && event.job == state_.job) {
      const auto& wanted = options_.step_screenshots;
      const auto shot = std::find_if(wanted.begin(), wanted.end(), [&](const auto& shot) {
        return shot.step <= event.step + 1 && !step_screenshots_taken_.count(shot.path);
      });
      if (shot != wanted.end()) {
        step_screenshots_taken_.insert(shot->path);
        step_screenshot_ = shot->path;
        break;
      }
    }
  }
}

void Studio::upload_results() {
  if (state_.image_to_show) {
    const auto rgba = to_rgba(*state_.image_to_show);
    display_.set_image(rgba.data(), static_cast<uint32_t>(state_.image_to_show->width),
                       static_cast<uint32_t>(state_.image_to_show->height), kNerfSlot);
    state_.image_to_show.reset();
  }
  if (state_.reference_changed) {
    if (state_.image_condition) {
      const auto rgba = to_rgba(*state_.image_condition);
      display_.set_image(rgba.data(), static_cast<uint32_t>(state_.image_condition->width),
                         static_cast<uint32_t>(state_.image_condition->height), kReferenceSlot);
    } else {
      display_.clear(kReferenceSlot);
    }
    state_.reference_changed = false;
  }
  for (const size_t sample : state_.thumbnails_changed) {
    const uint32_t slot = kFirstSampleSlot + static_cast<uint32_t>(sample);
    if (slot >= kImageSlots) continue;
    const ImageU8* thumbnail = sample < state_.sample_thumbnails.size() ? &state_.sample_thumbnails[sample] : nullptr;
    if (thumbnail && !thumbnail->pixels.empty()) {
      const auto rgba = to_rgba(*thumbnail);
      display_.set_image(rgba.data(), static_cast<uint32_t>(thumbnail->width), static_cast<uint32_t>(thumbnail->height),
                         slot);
    } else {
      display_.clear(slot);  // a new batch: the old thumbnail goes until the new one arrives
    }
  }
  state_.thumbnails_changed.clear();
  if (state_.mesh_changed) {
    if (!state_.mesh.empty()) {
      const MeshBounds bounds = mesh_bounds(state_.mesh);
      const auto centre = bounds.centre();
      const auto size = bounds.size();
      pending_framing_ = Framing{{centre[0], centre[1], centre[2]}, 0.5f * glm::length(glm::vec3(size[0], size[1], size[2]))};
    }
    meshes_.upload(state_.mesh);
    state_.mesh_changed = false;
  }
}

void Studio::handle_actions(const PanelActions& actions) {
  if (actions.clear_image) remove_reference_image(state_);
  if (actions.generate) start_generation();
  if (actions.cancel) {
    worker_.cancel();
    state_.set_status("cancelling...");
  }
  if (actions.export_mesh) start_export();
  if (actions.cancel_export) worker_.cancel_exports();
  if (actions.export_turntable) {
    start_turntable_export(std::filesystem::path(state_.export_path.data()).replace_extension(".webp"));
  }
  if (actions.select_sample >= 0) show_sample(static_cast<size_t>(actions.select_sample));
  if (actions.refresh_models) refresh_models();
  if (actions.apply_models) apply_model_fields();
  if (actions.follow_training) follow_training_run();
  if (actions.download_models) {
    std::vector<WeightsFile> missing;
    const auto files = official_model_weights(models_mode_);
    for (size_t i = 0; i < files.size() && i < models_view_.rows.size(); ++i) {
      if (models_view_.rows[i].missing) missing.push_back(files[i]);
    }
    if (!missing.empty() && downloader_->start(std::move(missing))) state_.set_status("downloading model files...");
  }
  if (actions.cancel_download) {
    downloader_->cancel();
    state_.set_status("cancelling the download...");
  }
  apply_precision();
}

// Passes the precision chosen in the panel to the worker, which loads the models in it for the
// next job. fp16 from a settings file on a CPU falls back to auto, and says so.
void Studio::apply_precision() {
  if (applied_precision_ == state_.precision) return;
  Precision precision = Precision::kFloat32;
  try {
    precision = resolve_precision(state_.precision, state_.device);
  } catch (const std::invalid_argument& error) {
    state_.set_status(std::string("precision: ") + error.what() + "; using auto", true);
    std::fprintf(stderr, "shape-studio: %s\n", state_.status.c_str());
    state_.precision = PrecisionRequest::kAuto;
    precision = resolve_precision(state_.precision, state_.device);
  }
  worker_.set_precision(precision);
  applied_precision_ = state_.precision;
  if (options_.trace) trace_line("precision %s", describe_precision(state_.precision, state_.device).c_str());
}

// The NeRF view follows the orbit camera: during a generation the next step's preview uses it; an
// idle result is re-rendered small while the camera moves and at the preview size once it rests.
void Studio::update_nerf_camera(const render::ViewLayout& layout, bool camera_moved, double now) {
  const bool view_resized = layout.image.width != last_image_view_.width || layout.image.height != last_image_view_.height;
  if (!layout.show_image || layout.image.empty()) return;
  const int full_height = std::clamp(state_.preview_size, 16, 1024);
  if (camera_moved || view_resized) {
    last_image_view_ = layout.image;
    const Camera camera = nerf_camera(camera_, layout.image, full_height);
    worker_.set_preview_camera(camera);
    nerf_camera_ = camera;
    if (camera_moved) {
      request_render(progressive_.moved(now, full_height));
    } else {
      progressive_.cancel();
      request_render(full_height);
    }
  }
  if (const auto height = progressive_.settled(now)) request_render(*height);
}

// A still view sharpens: after the last preview of a generation, and after each render of the view
// at rest, the next render has twice the rows, up to the pane's pixel height.
void Studio::refine_nerf_view(const WorkerEvent& event) {
  if (state_.generating || progressive_.pending() || last_image_view_.empty()) return;
  int rendered = 0;
  if (event.kind == WorkerEventKind::Rendered) rendered = event.image.height;
  if (event.kind == WorkerEventKind::Finished) rendered = std::clamp(state_.preview_size, 16, 1024);
  if (const auto next = ProgressiveRender::refined(rendered, static_cast<int>(last_image_view_.height))) {
    request_render(*next);
    refining_ = true;
  } else if (event.kind == WorkerEventKind::Rendered) {
    sharp_ = true;
    if (options_.trace) trace_line("nerf view sharp at height %d", rendered);
  }
}

void Studio::request_render(int height) {
  if (state_.generating || state_.latents.empty()) {
    progressive_.cancel();  // the generation's previews follow the camera by themselves
    return;
  }
  if (options_.trace) trace_line("render request height %d", height);
  refining_ = false;
  sharp_ = false;
  worker_.render(state_.latents[std::min(state_.shown_sample, state_.latents.size() - 1)],
                 nerf_camera(camera_, last_image_view_, height), preview_render_settings(state_));
}

void Studio::draw_frame(const render::ViewLayout& layout, const std::filesystem::path& screenshot) {
  if (!screenshot.empty()) {
    renderer_.capture_next_frame([this, screenshot](const render::RgbaImage& image) {
      try {
        render::write_png(screenshot.string(), image);
        std::printf("screenshot %s\n", screenshot.c_str());
        std::fflush(stdout);
      } catch (const std::exception& error) {
        std::fprintf(stderr, "screenshot failed: %s\n", error.what());
        job_failed_ = true;
      }
      if (screenshot == options_.screenshot) screenshot_taken_ = true;
      if (screenshot == step_screenshot_) step_screenshot_.clear();
    });
  }
  const auto background = background_rgb(state_);
  renderer_.set_clear_color({background[0] / 255.0f, background[1] / 255.0f, background[2] / 255.0f, 1.0f});
  auto frame = renderer_.begin_frame();
  if (!frame) return;  // minimised or swapchain rebuilt: try again next time round
  if (frame->swapchain_recreated) imgui_.swapchain_recreated(renderer_.min_image_count());
  if (layout.show_image) display_.draw(frame->pass, layout.image, kNerfSlot);
  if (layout.show_mesh) {
    render::MeshDrawOptions draw_options;
    draw_options.shading = state_.wireframe ? render::MeshShading::SolidWithWireframe : render::MeshShading::Solid;
    meshes_.draw(frame->pass, layout.mesh, camera_, draw_options);
  }
  images_.draw_with(frame->pass, [&] { imgui_.draw(frame->pass.cmd); });
  renderer_.end_frame();
}

// --trace: where the widgets a test clicks are, the views and the status line, whenever they change.
void Studio::trace_layout(const PanelActions& actions, const render::ViewLayout& layout) {
  const auto same = [](const render::ViewRect& a, const render::ViewRect& b) {
    return a.x == b.x && a.y == b.y && a.width == b.width && a.height == b.height;
  };
  if (!same(actions.prompt_field, traced_prompt_)) {
    traced_prompt_ = actions.prompt_field;
    trace_line("prompt field %s", rect_text(traced_prompt_).c_str());
  }
  const bool thumbnails_moved =
      actions.sample_thumbnails.size() != traced_thumbnails_.size() ||
      !std::equal(actions.sample_thumbnails.begin(), actions.sample_thumbnails.end(), traced_thumbnails_.begin(), same);
  if (thumbnails_moved) {
    traced_thumbnails_ = actions.sample_thumbnails;
    for (size_t i = 0; i < traced_thumbnails_.size(); ++i) {
      trace_line("thumbnail %zu %s", i, rect_text(traced_thumbnails_[i]).c_str());
    }
  }
  const std::string views = "image " + rect_text(layout.image) + " mesh " + rect_text(layout.mesh);
  if (views != traced_views_) {
    traced_views_ = views;
    trace_line("views %s", views.c_str());
  }
  if (state_.status != traced_status_) {
    traced_status_ = state_.status;
    trace_line("status %s", traced_status_.c_str());
  }
}

// --exit-after-job: once the job (and --export) are over and the worker is idle, draw a few frames
// so the last results are on screen, then quit (with the --screenshot of the last one).
bool Studio::test_hooks_done() {
  if (!options_.exit_after_job) return false;
  // A refinement of the still view is not waited for unless --wait-until-sharp: it goes on up to the
  // pane's resolution, and quitting stops it.
  if (!job_hook_done_ || export_pending_ || state_.generating || (worker_.busy() && !refining_)) return false;
  if (options_.wait_until_sharp && !sharp_) return false;
  ++settle_frames_;
  return settle_frames_ > kSettleFrames;
}

int Studio::run() {
  auto last_frame = Clock::now();
  bool quitting = false;
  while (!glfwWindowShouldClose(window_)) {
    const bool animating = state_.generating || worker_.busy() || settle_frames_ > 0 || downloader_->running() ||
                           progressive_.pending() || !backlog_.empty();
    if (animating) {
      // Cap the frame rate while work runs; nothing else throttles it under Xvfb.
      const auto next = last_frame + std::chrono::duration<double>(kBusyFrameSeconds);
      std::this_thread::sleep_until(next);
      glfwPollEvents();
    } else {
      glfwWaitEventsTimeout(kIdleWaitSeconds);
    }
    last_frame = Clock::now();
    const double now = seconds_now();

    apply_worker_events();
    poll_downloads();
    upload_results();
    state_.training.poll(now);

    int width = 0, height = 0;
    glfwGetFramebufferSize(window_, &width, &height);
    imgui_.begin_frame();
    images_.begin_frame();
    const PanelActions actions = draw_panels(state_, static_cast<float>(height), models_view_, images_);
    const render::ViewRect area{kPanelWidth, 0.0f, std::max(0.0f, static_cast<float>(width) - kPanelWidth),
                                static_cast<float>(height)};
    const render::ViewLayout layout = render::layout_views(state_.view, area, kViewGap);
    bool camera_moved = input_.update(camera_, layout, state_.mesh);
    if (pending_framing_) {
      // The narrower of the panes shown decides: the object fits both.
      float aspect = std::numeric_limits<float>::max();
      if (layout.show_image && !layout.image.empty()) aspect = layout.image.aspect();
      if (layout.show_mesh && !layout.mesh.empty()) aspect = std::min(aspect, layout.mesh.aspect());
      if (aspect == std::numeric_limits<float>::max()) aspect = 1.0f;
      camera_.frame(pending_framing_->centre, pending_framing_->radius, aspect);
      pending_framing_.reset();
      camera_moved = true;
    }
    draw_view_labels(state_, layout);
    handle_actions(actions);
    if (state_.light_background != shown_light_background_) {
      // The NeRF view carries its background: render it again on the new one.
      shown_light_background_ = state_.light_background;
      camera_moved = true;
    }
    update_nerf_camera(layout, camera_moved, now);
    if (options_.trace) trace_layout(actions, layout);
    const ImGuiIO& io = ImGui::GetIO();
    if (io.KeyCtrl && ImGui::IsKeyPressed(GLFW_KEY_Q, false)) {  // even while typing
      if (options_.trace) trace_line("quit asked");
      glfwSetWindowShouldClose(window_, GLFW_TRUE);
    }
    // Outside a text field, Ctrl+V pastes a picture as if it were dropped: copied image data, or a
    // copied file (its path or file:// URI, as file managers copy it).
    if (io.KeyCtrl && !io.WantTextInput && ImGui::IsKeyPressed(GLFW_KEY_V, false)) paste_from_clipboard();
    save_settings_if_changed();
    imgui_.end_frame();

    quitting = test_hooks_done();
    const bool capture = quitting && !options_.screenshot.empty();
    if (capture) {
      std::printf("views: image %.0f %.0f %.0f %.0f mesh %.0f %.0f %.0f %.0f\n", layout.image.x, layout.image.y,
                  layout.image.width, layout.image.height, layout.mesh.x, layout.mesh.y, layout.mesh.width,
                  layout.mesh.height);
    }
    draw_frame(layout, capture ? options_.screenshot : step_screenshot_);
    if (quitting && (options_.screenshot.empty() || screenshot_taken_)) break;
  }
  context_.wait_idle();
  if (!state_.models_in_use.empty()) std::printf("models: %s\n", state_.models_in_use.c_str());
  if (!state_.status.empty()) std::printf("status: %s\n", state_.status.c_str());
  return options_.exit_after_job && job_failed_ ? 2 : 0;
}

}  // namespace

int run_studio(const AppOptions& options) {
  auto monitor = std::make_shared<render::ValidationMonitor>();
  int exit_code = 0;
  {
    GlfwSession glfw;
    if (!glfw.ok || !glfwVulkanSupported()) {
      std::fprintf(stderr, "shape-studio: cannot open a window (%s)\n",
                   glfw.ok ? "no Vulkan support" : "glfwInit failed: is DISPLAY set?");
      return 1;
    }
    glfwWindowHint(GLFW_CLIENT_API, GLFW_NO_API);
    WindowHandle window;
    window.window = glfwCreateWindow(options.window_width, options.window_height, "Shape Studio", nullptr, nullptr);
    if (!window.window) {
      std::fprintf(stderr, "shape-studio: cannot create a window\n");
      return 1;
    }
    try {
      render::ContextOptions context_options;
      context_options.window = window.window;
      context_options.validation_monitor = monitor;
      if (options.strict_validation) {
        context_options.enable_validation = true;
        context_options.enable_synchronization_validation = true;
      }
      render::VulkanContext context(context_options);
      Studio studio(options, window.window, context);
      exit_code = studio.run();
    } catch (const std::exception& error) {
      std::fprintf(stderr, "shape-studio: %s\n", error.what());
      exit_code = 1;
    }
  }
  if (options.strict_validation) {
    // Counted after the context is gone, so leak reports at vkDestroyDevice count too.
    std::printf("validation messages: %zu\n", monitor->message_count());
    if (monitor->message_count() > 0 && exit_code == 0) exit_code = 3;
  }
  return exit_code;
}

}  // namespace shape::studio
