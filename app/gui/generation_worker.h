// The GUI's model thread: owns the LatentGenerator and LatentDecoder (loaded lazily, on the worker,
// from a resolver), runs one job at a time and reports back through a queue the GUI drains once per
// frame. The GUI thread only ever takes a mutex for a moment; it never waits on model work.
//
// Jobs, highest priority first: a generation (latest request wins; a new one cancels the running
// one), mesh exports (in order), a NeRF re-render (latest request wins; for orbiting while idle).
// Torch-free header.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "inference/clip/image_u8.h"
#include "inference/decoder/camera.h"
#include "inference/export/mesh_export.h"
#include "inference/mesh/mesh.h"
#include "inference/pipeline/latent.h"
#include "inference/pipeline/latent_decoder.h"
#include "inference/pipeline/turntable.h"
#include "inference/pipeline/latent_generator.h"
#include "inference/pipeline/official_models.h"

namespace shape::studio {

// Finds the files for a conditioning mode (official or custom); throws with a message for the user
// (e.g. WeightsUnavailable) when they are missing. Called on the worker thread.
using ModelResolver = std::function<ModelFileSet(ConditioningMode)>;

struct GenerationRequest {
  std::vector<Condition> conditions;  // one per sample; all text or all image
  GenerationSettings settings;
  int64_t preview_size = 128;   // NeRF preview height in pixels (width follows the camera's aspect)
  int64_t preview_every = 1;    // a preview after every N-th step (and always the final one)
  // Step previews are skipped while they would take more than this share of the sampling time so
  // far, keeping room for the final preview (0: no limit).
  double preview_budget = 0.1;
  RenderSettings preview_render;  // sample caps for previews and thumbnails (seed: the generation's)
  int64_t mesh_grid_size = 64;  // STF grid of the meshes made at the end
  size_t preview_sample = 0;    // which sample the step previews show
  // The loaded model's recommended guidance (ModelFileSet::recommended_guidance), where it has one,
  // replaces settings.guidance_scale: the user has not chosen one.
  bool use_recommended_guidance = false;
};

struct ExportRequest {
  Latent latent;
  int64_t grid_size = 128;
  std::filesystem::path path;
  MeshExportOptions options;
  // Set: a turntable animation (animated WebP of NeRF views) instead of a mesh.
  std::optional<TurntableSettings> turntable;
};

enum class WorkerEventKind {
  Loading,       // message: what is being loaded
  Step,          // step, total_steps, sigma, elapsed/eta_seconds
  Preview,       // image: NeRF of the selected sample's current prediction (step), or of the result
  SamplesReady,  // latents: the finished samples
  MeshReady,     // sample, mesh (possibly empty: no surface)
  Thumbnail,     // sample, image: a small NeRF of each sample of a batch (before the meshes)
  Rendered,      // image: answer to render()
  ModelsReady,   // answer to load_models(): the models are loaded (guidance: their recommendation)
  Exporting,     // message: how far an export is (a turntable's frame k of n)
  Exported,      // message: the file written
  Finished,      // the generation job is over (after its meshes)
  Failed,        // message: why a job failed (loading, bad input, export error)
  Cancelled,     // the generation (job != 0) or an export (job 0) stopped on request
};

struct WorkerEvent {
  WorkerEventKind kind = WorkerEventKind::Failed;
  uint64_t job = 0;  // the generation this belongs to (0 for renders and exports)
  std::string message;
  int64_t step = 0;
  int64_t total_steps = 0;
  double sigma = 0.0;
  double elapsed_seconds = 0.0;
  double eta_seconds = 0.0;
  double render_seconds = 0.0;  // Preview: its render's time
  ImageU8 image;
  std::vector<Latent> latents;
  size_t sample = 0;
  Mesh mesh;
  std::optional<GuidanceRecommendation> recommended_guidance;
  std::string model_label;  // ModelsReady: ModelFileSet::label
};

const char* to_string(WorkerEventKind kind);
WorkerEvent make_worker_event(WorkerEventKind kind, uint64_t job, std::string message = {});

class GenerationWorker {
 public:
  explicit GenerationWorker(ModelResolver resolver, std::string device = "cpu");
  // Cancels whatever runs and joins the thread (the sampler stops within one step).
  ~GenerationWorker();
  GenerationWorker(const GenerationWorker&) = delete;
  GenerationWorker& operator=(const GenerationWorker&) = delete;

  // Starts a generation (cancelling a running one); returns its job id.
  uint64_t generate(GenerationRequest request);
  // Stops the pending or running generation; a Cancelled event follows if one was running.
  void cancel();
  // The camera step previews are rendered from (its width/height are replaced by the preview size
  // and aspect). Read at every step, so orbiting during a generation moves the preview.
  void set_preview_camera(const Camera& camera);
  // NeRF-renders `latent` from `camera` at camera.width × camera.height once no generation runs;
  // a newer request replaces one not yet started and stops one running (at its next ray batch, with
  // no event), as does a new generation.
  void render(const Latent& latent, const Camera& camera, const RenderSettings& settings = {});
  // Loads models through `resolver` from now on: the loaded ones are dropped before the next job
  // (custom files chosen in the GUI).
  void replace_models(ModelResolver resolver);
  // The precision the diffusion transformer runs in from the next job on: models loaded in
  // another one are loaded again then.
  void set_precision(Precision precision);
  // Loads the models for `mode` ahead of the first generation (Loading, then ModelsReady or Failed,
  // e.g. with the list of missing weights files).
  void load_models(ConditioningMode mode);
  // Meshes `request.latent` and writes it (or renders its turntable); Exported or Failed follows,
  // a turntable reporting Exporting before each frame.
  void export_mesh(ExportRequest request);
  // Stops the running turntable export between frames or ray batches, and drops queued exports:
  // Cancelled (job 0) follows, and nothing is written.
  void cancel_exports();

  // Everything reported since the last call, oldest first.
  std::vector<WorkerEvent> drain_events();
  // A generation is pending or running.
  bool generating() const;
  // Any job is pending or running.
  bool busy() const;

 private:
  struct Models;
  struct RenderRequest {
    Latent latent;
    Camera camera;
    RenderSettings settings;
  };

  void run();
  // Loads what `mode` needs unless already loaded; throws with the user's message. Reports
  // ModelsReady (with the files' notice, e.g. that the demo model stands in) when it loads, or
  // always with `report_ready`.
  void ensure_models(ConditioningMode mode, uint64_t job, bool report_ready = false);
  void run_generation(uint64_t job, const GenerationRequest& request);
  void run_export(const ExportRequest& request);
  void run_render(const RenderRequest& request);
  void push(WorkerEvent event);
  Camera preview_camera(int64_t preview_height) const;

  ModelResolver resolver_;  // touched by the worker thread only (replacements arrive through pending_resolver_)
  std::string device_;
  std::unique_ptr<Models> models_;  // touched by the worker thread only
  double last_preview_seconds_ = 0.0;  // the latest step preview's render (worker thread only)

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  uint64_t next_job_ = 1;
  std::optional<std::pair<uint64_t, GenerationRequest>> pending_generation_;
  std::deque<ExportRequest> pending_exports_;
  std::optional<RenderRequest> pending_render_;
  std::optional<ConditioningMode> pending_load_;
  std::optional<ModelResolver> pending_resolver_;
  Precision precision_ = Precision::kFloat32;
  bool working_ = false;      // the worker is inside a job
  bool generation_running_ = false;
  std::atomic<bool> render_cancel_{false};  // stops the running render() (set by newer requests)
  std::atomic<bool> export_cancel_{false};  // stops the running export (cancel_exports)
  Camera camera_;
  std::vector<WorkerEvent> events_;
  std::atomic<bool> cancel_{false};

  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace shape::studio
