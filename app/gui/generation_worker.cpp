#include "gui/generation_worker.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <stdexcept>
#include <utility>

#include "inference/pipeline/latent_decoder.h"

namespace shape::studio {

const char* to_string(WorkerEventKind kind) {
  switch (kind) {
    case WorkerEventKind::Loading: return "loading";
    case WorkerEventKind::Step: return "step";
    case WorkerEventKind::Preview: return "preview";
    case WorkerEventKind::SamplesReady: return "samples ready";
    case WorkerEventKind::MeshReady: return "mesh ready";
    case WorkerEventKind::Thumbnail: return "thumbnail";
    case WorkerEventKind::Rendered: return "rendered";
    case WorkerEventKind::ModelsReady: return "models ready";
    case WorkerEventKind::Exporting: return "exporting";
    case WorkerEventKind::Exported: return "exported";
    case WorkerEventKind::Finished: return "finished";
    case WorkerEventKind::Failed: return "failed";
    case WorkerEventKind::Cancelled: return "cancelled";
  }
  return "?";
}

WorkerEvent make_worker_event(WorkerEventKind kind, uint64_t job, std::string message) {
  WorkerEvent event;
  event.kind = kind;
  event.job = job;
  event.message = std::move(message);
  return event;
}

// Loaded models, kept between jobs. Only the worker thread touches them.
struct GenerationWorker::Models {
  struct Loaded {
    std::unique_ptr<LatentGenerator> generator;
    std::shared_ptr<LatentDecoder> decoder;
    std::filesystem::path decoder_weights;
    std::string notice;  // e.g. that the demo model stands in for missing weights
    std::optional<GuidanceRecommendation> recommended_guidance;
    std::string label;  // ModelFileSet::label
  };
  std::map<ConditioningMode, Loaded> modes;
  // The decoder of the latest generation: renders and exports of its latents use it.
  std::shared_ptr<LatentDecoder> decoder;
};

namespace {

ConditioningMode mode_of(const std::vector<Condition>& conditions) {
  return !conditions.empty() && conditions.front().image ? ConditioningMode::kImage : ConditioningMode::kText;
}

constexpr int64_t kThumbnailHeight = 64;

const char* mode_name(ConditioningMode mode) { return mode == ConditioningMode::kText ? "text" : "image"; }

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

GenerationWorker::GenerationWorker(ModelResolver resolver, std::string device)
    : resolver_(std::move(resolver)), device_(std::move(device)), models_(std::make_unique<Models>()) {
  camera_ = look_at_camera({0.0f, -4.0f, 2.0f}, {0.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 1.0f}, 0.7f, 128, 128);
  thread_ = std::thread([this] { run(); });
}

GenerationWorker::~GenerationWorker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    pending_generation_.reset();
    pending_exports_.clear();
    pending_render_.reset();
    pending_load_.reset();
  }
  cancel_ = true;
  render_cancel_ = true;
  export_cancel_ = true;
  wake_.notify_all();
  thread_.join();
}

uint64_t GenerationWorker::generate(GenerationRequest request) {
  std::lock_guard<std::mutex> lock(mutex_);
  const uint64_t job = next_job_++;
  pending_generation_.emplace(job, std::move(request));
  if (generation_running_) cancel_ = true;  // the newer request wins
  render_cancel_ = true;                    // and a re-render of the old result gives way
  wake_.notify_all();
  return job;
}

void GenerationWorker::cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_generation_.reset();
  if (generation_running_) cancel_ = true;
}

void GenerationWorker::set_preview_camera(const Camera& camera) {
  std::lock_guard<std::mutex> lock(mutex_);
  camera_ = camera;
}

void GenerationWorker::render(const Latent& latent, const Camera& camera, const RenderSettings& settings) {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_render_ = RenderRequest{latent, camera, settings};
  render_cancel_ = true;  // a render still running for an older view stops at its next ray batch
  wake_.notify_all();
}

void GenerationWorker::replace_models(ModelResolver resolver) {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_resolver_ = std::move(resolver);
}

void GenerationWorker::set_precision(Precision precision) {
  std::lock_guard<std::mutex> lock(mutex_);
  precision_ = precision;
}

void GenerationWorker::load_models(ConditioningMode mode) {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_load_ = mode;
  wake_.notify_all();
}

void GenerationWorker::export_mesh(ExportRequest request) {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_exports_.push_back(std::move(request));
  wake_.notify_all();
}

void GenerationWorker::cancel_exports() {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_exports_.clear();
  export_cancel_ = true;
}

std::vector<WorkerEvent> GenerationWorker::drain_events() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::exchange(events_, {});
}

bool GenerationWorker::generating() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pending_generation_.has_value() || generation_running_;
}

bool GenerationWorker::busy() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return working_ || pending_generation_ || !pending_exports_.empty() || pending_render_ || pending_load_;
}

void GenerationWorker::push(WorkerEvent event) {
  std::lock_guard<std::mutex> lock(mutex_);
  events_.push_back(std::move(event));
}

Camera GenerationWorker::preview_camera(int64_t preview_height) const {
  std::lock_guard<std::mutex> lock(mutex_);
  Camera camera = camera_;
  // Keep the camera's aspect (and so its fields of view) at the preview's height.
  const double aspect = camera.height > 0 ? static_cast<double>(camera.width) / static_cast<double>(camera.height) : 1.0;
  camera.height = preview_height;
  camera.width = std::max<int64_t>(1, std::llround(static_cast<double>(preview_height) * aspect));
  return camera;
}

void GenerationWorker::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] {
      return stopping_ || pending_generation_ || !pending_exports_.empty() || pending_render_ || pending_load_;
    });
    if (stopping_) return;
    working_ = true;
    if (pending_resolver_) {
      resolver_ = std::move(*pending_resolver_);
      pending_resolver_.reset();
      models_ = std::make_unique<Models>();  // the next job loads through the new resolver
    }
    if (pending_generation_) {
      auto [job, request] = std::move(*pending_generation_);
      pending_generation_.reset();
      generation_running_ = true;
      cancel_ = false;  // under the lock: a cancel() from now on reaches this job
      lock.unlock();
      run_generation(job, request);
      lock.lock();
      generation_running_ = false;
    } else if (pending_load_) {
      const ConditioningMode mode = *pending_load_;
      pending_load_.reset();
      lock.unlock();
      try {
        ensure_models(mode, 0, /*report_ready=*/true);
      } catch (const std::exception& error) {
        push(make_worker_event(WorkerEventKind::Failed, 0, error.what()));
      }
      lock.lock();
    } else if (!pending_exports_.empty()) {
      ExportRequest request = std::move(pending_exports_.front());
      pending_exports_.pop_front();
      export_cancel_ = false;  // under the lock: cancel_exports() from now on stops this one
      lock.unlock();
      run_export(request);
      lock.lock();
    } else {
      RenderRequest request = std::move(*pending_render_);
      pending_render_.reset();
      render_cancel_ = false;  // under the lock: a render() from now on stops this one
      request.settings.cancel = &render_cancel_;
      lock.unlock();
      run_render(request);
      lock.lock();
    }
    working_ = false;
  }
}

void GenerationWorker::ensure_models(ConditioningMode mode, uint64_t job, bool report_ready) {
  Models& models = *models_;
  Models::Loaded& loaded = models.modes[mode];
  const Precision precision = [&] {
    std::lock_guard<std::mutex> lock(mutex_);
    return precision_;
  }();
  if (loaded.generator && loaded.generator->precision() != precision) loaded = {};
  if (!loaded.generator) {
    push(make_worker_event(WorkerEventKind::Loading, job, std::string("loading the ") + mode_name(mode) + " models..."));
    const ModelFileSet files = resolver_(mode);
    auto generator = std::make_unique<LatentGenerator>(files.generator, device_, precision);
    // Both modes share one decoder when they use the same file (the official transmitter).
    std::shared_ptr<LatentDecoder> decoder;
    for (const auto& [other_mode, other] : models.modes) {
      if (other.decoder && other.decoder_weights == files.decoder_weights && other.decoder->precision() == precision) {
        decoder = other.decoder;
      }
    }
    if (!decoder) {
      decoder = std::make_shared<LatentDecoder>(files.decoder_config, files.decoder_weights, device_, precision);
    }
    if (generator->latent_size() != decoder->latent_size()) {
      throw std::runtime_error("the diffusion model makes latents of " + std::to_string(generator->latent_size()) +
                               " values but the decoder takes " + std::to_string(decoder->latent_size()));
    }
    loaded = {std::move(generator), std::move(decoder), files.decoder_weights, files.notice,
              files.recommended_guidance, files.label};
    report_ready = true;
  }
  models.decoder = loaded.decoder;
  if (report_ready) {
    WorkerEvent ready = make_worker_event(WorkerEventKind::ModelsReady, job,
                                 std::string(mode_name(mode)) + " models loaded, " +
                                     precision_name(loaded.generator->precision()) +
                                     (loaded.notice.empty() ? "" : " (" + loaded.notice + ")"));
    ready.recommended_guidance = loaded.recommended_guidance;
    ready.model_label = loaded.label;
    push(std::move(ready));
  }
}

void GenerationWorker::run_generation(uint64_t job, const GenerationRequest& request) {
  Models& models = *models_;
  try {
    if (request.conditions.empty()) throw std::invalid_argument("nothing to generate: no condition given");
    const ConditioningMode mode = mode_of(request.conditions);
    // Checked before loading, so the user hears about the prompt, not about missing weights.
    for (const auto& condition : request.conditions) {
      if (!condition.image && condition.prompt.find_first_not_of(" \t\r\n") == std::string::npos) {
        throw std::invalid_argument("the prompt is empty: describe what to make");
      }
    }
    ensure_models(mode, job);
    LatentGenerator& generator = *models.modes[mode].generator;
    const LatentDecoder& decoder = *models.decoder;
    const size_t preview_sample = std::min(request.preview_sample, request.conditions.size() - 1);
    RenderSettings render_settings = request.preview_render;
    render_settings.seed = request.settings.seed;
    const int64_t preview_every = std::max<int64_t>(1, request.preview_every);
    const auto sampling_start = std::chrono::steady_clock::now();
    double preview_seconds = 0.0;  // this generation's step previews so far
    // Within the budget if this preview and the final one, each costing about as much as the
    // last, keep the previews' share of the sampling time so far.
    const auto within_budget = [&] {
      if (request.preview_budget <= 0.0) return true;
      const double sampling_seconds = seconds_since(sampling_start) - preview_seconds;
      return preview_seconds + 2.0 * last_preview_seconds_ <= request.preview_budget * sampling_seconds;
    };

    const auto on_step = [&](const GenerationStep& step) {
      WorkerEvent event = make_worker_event(WorkerEventKind::Step, job);
      event.step = step.step;
      event.total_steps = step.total_steps;
      event.sigma = step.sigma;
      event.elapsed_seconds = step.elapsed_seconds;
      event.eta_seconds = step.eta_seconds;
      push(std::move(event));
      // The last report (step == total) repeats the result; the final preview follows below.
      if (step.step >= step.total_steps || step.predicted.size() <= preview_sample || cancel_) return;
      if (step.step % preview_every != 0 || !within_budget()) return;
      WorkerEvent preview = make_worker_event(WorkerEventKind::Preview, job);
      preview.step = step.step;
      preview.total_steps = step.total_steps;
      preview.sample = preview_sample;
      const auto render_start = std::chrono::steady_clock::now();
      preview.image = decoder.render_nerf(step.predicted[preview_sample], preview_camera(request.preview_size), render_settings);
      preview.render_seconds = last_preview_seconds_ = seconds_since(render_start);
      preview_seconds += preview.render_seconds;
      push(std::move(preview));
    };
    GenerationSettings settings = request.settings;
    const auto& recommended = models.modes[mode].recommended_guidance;
    if (request.use_recommended_guidance && recommended) {
      choose_guidance(settings, std::nullopt, recommended, settings.guidance_scale);
    }
    GenerationResult result = generator.generate(request.conditions, settings, on_step, &cancel_);
    if (cancel_) throw GenerationCancelled();

    WorkerEvent samples = make_worker_event(WorkerEventKind::SamplesReady, job);
    for (const auto& notice : result.notices) samples.message += (samples.message.empty() ? "" : "; ") + notice;
    samples.latents = result.latents;
    samples.total_steps = request.settings.steps;
    push(std::move(samples));

    WorkerEvent final_preview = make_worker_event(WorkerEventKind::Preview, job);
    final_preview.step = final_preview.total_steps = request.settings.steps;
    final_preview.sample = preview_sample;
    const auto render_start = std::chrono::steady_clock::now();
    final_preview.image =
        decoder.render_nerf(result.latents[preview_sample], preview_camera(request.preview_size), render_settings);
    final_preview.render_seconds = seconds_since(render_start);
    push(std::move(final_preview));

    // A batch's strip of thumbnails, to pick a sample from: square, with the view's vertical field.
    Camera thumbnail_camera = preview_camera(kThumbnailHeight);
    thumbnail_camera.width = kThumbnailHeight;
    thumbnail_camera.x_fov = thumbnail_camera.y_fov;
    for (size_t i = 0; result.latents.size() > 1 && i < result.latents.size(); ++i) {
      if (cancel_) throw GenerationCancelled();
      WorkerEvent thumbnail = make_worker_event(WorkerEventKind::Thumbnail, job);
      thumbnail.sample = i;
      thumbnail.image = decoder.render_nerf(result.latents[i], thumbnail_camera, render_settings);
      push(std::move(thumbnail));
    }

    for (size_t i = 0; i < result.latents.size(); ++i) {
      if (cancel_) throw GenerationCancelled();
      WorkerEvent mesh = make_worker_event(WorkerEventKind::MeshReady, job);
      mesh.sample = i;
      mesh.mesh = decoder.decode_mesh(result.latents[i], {request.mesh_grid_size});
      push(std::move(mesh));
    }
    push(make_worker_event(WorkerEventKind::Finished, job));
  } catch (const GenerationCancelled&) {
    push(make_worker_event(WorkerEventKind::Cancelled, job, "generation cancelled"));
  } catch (const std::exception& error) {
    push(make_worker_event(WorkerEventKind::Failed, job, error.what()));
  }
}

void GenerationWorker::run_export(const ExportRequest& request) {
  try {
    if (!models_->decoder) throw std::runtime_error("no decoder loaded: generate something first");
    if (request.turntable) {
      const auto report_frame = [&](int64_t frame, int64_t frames) {
        push(make_worker_event(WorkerEventKind::Exporting, 0,
                               "rendering turntable frame " + std::to_string(frame + 1) + " of " + std::to_string(frames)));
      };
      const auto summary =
          write_turntable(*models_->decoder, request.latent, *request.turntable, request.path, report_frame, &export_cancel_);
      push(make_worker_event(WorkerEventKind::Exported, 0, describe_turntable(request.path, summary)));
      return;
    }
    const Mesh mesh = models_->decoder->decode_mesh(request.latent, {request.grid_size});
    const auto summary = shape::export_mesh(mesh, request.path, request.options);
    push(make_worker_event(WorkerEventKind::Exported, 0, describe_export(request.path, summary)));
  } catch (const RenderCancelled&) {
    push(make_worker_event(WorkerEventKind::Cancelled, 0,
                           "export cancelled: " + request.path.filename().string() + " was not written"));
  } catch (const std::exception& error) {
    push(make_worker_event(WorkerEventKind::Failed, 0, std::string("export failed: ") + error.what()));
  }
}

void GenerationWorker::run_render(const RenderRequest& request) {
  try {
    if (!models_->decoder) return;  // nothing generated yet: nothing to show
    WorkerEvent event = make_worker_event(WorkerEventKind::Rendered, 0);
    event.image = models_->decoder->render_nerf(request.latent, request.camera, request.settings);
    push(std::move(event));
  } catch (const RenderCancelled&) {
    // A newer view, a generation or shutdown took over: nothing to show.
  } catch (const std::exception& error) {
    push(make_worker_event(WorkerEventKind::Failed, 0, std::string("render failed: ") + error.what()));
  }
}

}  // namespace shape::studio
