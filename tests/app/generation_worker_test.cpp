// The GUI's model thread with the golden small models: event order, previews, meshes, cancel,
// failures as events, and a clean join on destruction.
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gui/generation_worker.h"
#include "inference/export/mesh_import.h"
#include "tests/app/app_test_support.h"

namespace shape::studio {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

ModelFileSet golden_text_files() { return testing::golden_model_files("text"); }

ModelResolver golden_resolver() {
  return [](ConditioningMode) { return golden_text_files(); };
}

GenerationRequest text_request(const std::string& prompt, int64_t steps) {
  GenerationRequest request;
  request.conditions = {Condition{prompt, std::nullopt}};
  request.settings.steps = steps;
  request.settings.seed = 7;
  request.preview_size = 16;
  request.mesh_grid_size = 24;
  request.preview_budget = 0.0;  // every preview asked for, whatever it costs
  return request;
}

// Drains events until one of `kind` arrives (inclusive) or the timeout passes.
std::vector<WorkerEvent> collect_until(GenerationWorker& worker, WorkerEventKind kind,
                                       std::chrono::seconds timeout = std::chrono::seconds(120)) {
  std::vector<WorkerEvent> all;
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    for (auto& event : worker.drain_events()) {
      const bool done = event.kind == kind;
      all.push_back(std::move(event));
      if (done) return all;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ADD_FAILURE() << "no '" << to_string(kind) << "' event within the timeout";
  return all;
}

std::string kinds(const std::vector<WorkerEvent>& events) {
  std::string text;
  for (const auto& event : events) text += std::string(to_string(event.kind)) + (event.kind == WorkerEventKind::Failed ? "(" + event.message + ")" : "") + ", ";
  return text;
}

TEST(GenerationWorker, ReportsStepsPreviewsSamplesAndMeshInOrder) {
  GenerationWorker worker(golden_resolver());
  const uint64_t job = worker.generate(text_request("a red chair", 3));
  const auto events = collect_until(worker, WorkerEventKind::Finished);
  ASSERT_FALSE(events.empty());
  const std::vector<WorkerEventKind> expected = {
      WorkerEventKind::Loading, WorkerEventKind::ModelsReady,  WorkerEventKind::Step,    WorkerEventKind::Preview, WorkerEventKind::Step,
      WorkerEventKind::Preview, WorkerEventKind::Step,         WorkerEventKind::Preview, WorkerEventKind::Step,
      WorkerEventKind::SamplesReady, WorkerEventKind::Preview, WorkerEventKind::MeshReady, WorkerEventKind::Finished};
  ASSERT_EQ(events.size(), expected.size()) << kinds(events);
  int64_t next_step = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const auto& event = events[i];
    EXPECT_EQ(event.kind, expected[i]) << i << ": " << kinds(events);
    EXPECT_EQ(event.job, job);
    if (event.kind == WorkerEventKind::Step) {
      EXPECT_EQ(event.step, next_step++);
      EXPECT_EQ(event.total_steps, 3);
      EXPECT_GE(event.sigma, 0.0);
    }
    if (event.kind == WorkerEventKind::Preview) {
      EXPECT_EQ(event.image.height, 16);
      EXPECT_EQ(event.image.width, 16);  // the default camera is square
      EXPECT_EQ(event.image.channels, 3);
      EXPECT_EQ(event.image.pixels.size(), 16u * 16u * 3u);
    }
  }
  EXPECT_EQ(events[9].latents.size(), 1u);
  EXPECT_FALSE(events[9].latents[0].values.empty());
  EXPECT_GT(events[11].mesh.triangles.size(), 10u);
  EXPECT_FALSE(worker.generating());
}

TEST(GenerationWorker, PreviewFollowsTheCurrentCameraAndRenderAnswersWhenIdle) {
  GenerationWorker worker(golden_resolver());
  worker.set_preview_camera(look_at_camera({4, 0, 1}, {0, 0, 0}, {0, 0, 1}, 0.7f, 200, 100));
  worker.generate(text_request("a lamp", 1));
  auto events = collect_until(worker, WorkerEventKind::Finished);
  const WorkerEvent* last = nullptr;
  for (const auto& event : events) if (event.kind == WorkerEventKind::SamplesReady) last = &event;
  ASSERT_NE(last, nullptr) << kinds(events);
  for (const auto& event : events) {
    if (event.kind == WorkerEventKind::Preview) {
      EXPECT_EQ(event.image.width, 32);  // 2:1 at the preview height 16
      EXPECT_EQ(event.image.height, 16);
    }
  }
  worker.render(last->latents[0], look_at_camera({0, -4, 2}, {0, 0, 0}, {0, 0, 1}, 0.7f, 24, 20));
  events = collect_until(worker, WorkerEventKind::Rendered);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().image.width, 24);
  EXPECT_EQ(events.back().image.height, 20);
}

// A render the user no longer wants (a big refinement, then the camera moves) stops at its next ray
// batch: the newer request answers soon and the old one never does.
TEST(GenerationWorker, ANewerRenderStopsTheOneRunning) {
  GenerationWorker worker(golden_resolver());
  worker.generate(text_request("a lamp", 1));
  auto events = collect_until(worker, WorkerEventKind::Finished);
  const WorkerEvent* samples = nullptr;
  for (const auto& event : events) if (event.kind == WorkerEventKind::SamplesReady) samples = &event;
  ASSERT_NE(samples, nullptr) << kinds(events);
  const Latent latent = samples->latents[0];
  RenderSettings settings;
  settings.ray_batch_size = 256;
  // Minutes of work at full samples: it must not run to its end.
  worker.render(latent, look_at_camera({0, -4, 2}, {0, 0, 0}, {0, 0, 1}, 0.7f, 1500, 1500), settings);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // it is running
  const auto asked = std::chrono::steady_clock::now();
  worker.render(latent, look_at_camera({0, -4, 2}, {0, 0, 0}, {0, 0, 1}, 0.7f, 24, 20), settings);
  events = collect_until(worker, WorkerEventKind::Rendered);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().image.width, 24) << "the big render answered first";
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count(), 20.0);
  for (const auto& event : events) EXPECT_NE(event.kind, WorkerEventKind::Failed) << event.message;
}

TEST(GenerationWorker, PreviewsEveryNthStepWithCappedSamplesAndThumbnailsForABatch) {
  GenerationWorker worker(golden_resolver());
  GenerationRequest request = text_request("a lamp", 5);
  request.conditions.push_back(request.conditions.front());  // a batch of two
  request.preview_every = 2;
  request.preview_render.coarse_samples = 8;
  request.preview_render.fine_samples = 8;
  worker.generate(request);
  const auto events = collect_until(worker, WorkerEventKind::Finished);
  std::vector<int64_t> preview_steps;
  std::vector<size_t> thumbnails;
  for (const auto& event : events) {
    if (event.kind == WorkerEventKind::Preview) preview_steps.push_back(event.step);
    if (event.kind == WorkerEventKind::Thumbnail) {
      thumbnails.push_back(event.sample);
      EXPECT_EQ(event.image.width, 64);  // square
      EXPECT_EQ(event.image.height, 64);
    }
  }
  EXPECT_EQ(preview_steps, (std::vector<int64_t>{0, 2, 4, 5})) << kinds(events);  // and the final one
  EXPECT_EQ(thumbnails, (std::vector<size_t>{0, 1})) << kinds(events);
}

// With a budget, step previews are skipped while they would take more than that share of the
// sampling time (the first one, of unknown cost, may overshoot by itself); the final one always comes.
TEST(GenerationWorker, StepPreviewsKeepWithinTheirShareOfTheSamplingTime) {
  GenerationWorker worker(golden_resolver());
  GenerationRequest request = text_request("a lamp", 24);
  request.preview_size = 32;
  request.preview_budget = 0.1;
  worker.generate(request);
  const auto events = collect_until(worker, WorkerEventKind::Finished);
  double preview_seconds = 0.0, first_preview = -1.0, elapsed = 0.0;
  int64_t step_previews = 0;
  bool final_preview = false;
  for (const auto& event : events) {
    if (event.kind == WorkerEventKind::Step) elapsed = event.elapsed_seconds;
    if (event.kind != WorkerEventKind::Preview) continue;
    EXPECT_GT(event.render_seconds, 0.0);
    if (event.step == event.total_steps) {
      final_preview = true;
      continue;
    }
    ++step_previews;
    preview_seconds += event.render_seconds;
    if (first_preview < 0.0) first_preview = event.render_seconds;
  }
  EXPECT_TRUE(final_preview) << kinds(events);
  EXPECT_GE(step_previews, 1) << kinds(events);
  EXPECT_LT(step_previews, 24) << kinds(events);
  const double sampling_seconds = elapsed - preview_seconds;  // the steps' clock includes the previews
  EXPECT_LE(preview_seconds, 0.1 * sampling_seconds + first_preview) << kinds(events);
}

TEST(GenerationWorker, ReplacedModelsLoadThroughTheNewResolver) {
  GenerationWorker worker(golden_resolver());
  worker.load_models(ConditioningMode::kText);
  collect_until(worker, WorkerEventKind::ModelsReady);
  worker.replace_models([](ConditioningMode) -> ModelFileSet { throw std::runtime_error("custom decoder missing"); });
  worker.generate(text_request("a chair", 1));
  EXPECT_EQ(collect_until(worker, WorkerEventKind::Failed).back().message, "custom decoder missing");
}

TEST(GenerationWorker, CancelStopsTheSamplerWithinAStep) {
  GenerationWorker worker(golden_resolver());
  worker.generate(text_request("a chair", 5000));
  collect_until(worker, WorkerEventKind::Step);
  const auto asked = Clock::now();
  worker.cancel();
  const auto events = collect_until(worker, WorkerEventKind::Cancelled, std::chrono::seconds(30));
  EXPECT_LT(Clock::now() - asked, std::chrono::seconds(10));
  for (const auto& event : events) {
    EXPECT_NE(event.kind, WorkerEventKind::SamplesReady);
    EXPECT_NE(event.kind, WorkerEventKind::Failed) << event.message;
  }
  EXPECT_FALSE(worker.generating());
  // The worker keeps working after a cancel.
  worker.generate(text_request("a chair", 1));
  collect_until(worker, WorkerEventKind::Finished);
}

TEST(GenerationWorker, EmptyPromptFailsWithoutLoadingModels) {
  bool resolved = false;
  GenerationWorker worker([&](ConditioningMode) {
    resolved = true;
    return golden_text_files();
  });
  worker.generate(text_request("  ", 2));
  const auto events = collect_until(worker, WorkerEventKind::Failed);
  ASSERT_FALSE(events.empty());
  EXPECT_NE(events.back().message.find("prompt is empty"), std::string::npos) << events.back().message;
  EXPECT_FALSE(resolved);
}

TEST(GenerationWorker, MissingFilesAndResolverErrorsBecomeFailedEvents) {
  {
    GenerationWorker worker([](ConditioningMode) {
      auto files = golden_text_files();
      files.generator.transformer_weights = "/nonexistent/text_cond.pt";
      return files;
    });
    worker.generate(text_request("a chair", 2));
    const auto events = collect_until(worker, WorkerEventKind::Failed);
    ASSERT_FALSE(events.empty());
    EXPECT_NE(events.back().message.find("/nonexistent/text_cond.pt"), std::string::npos) << events.back().message;
  }
  GenerationWorker worker([](ConditioningMode) -> ModelFileSet { throw std::runtime_error("text300M is missing"); });
  worker.generate(text_request("a chair", 2));
  const auto events = collect_until(worker, WorkerEventKind::Failed);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().message, "text300M is missing");
  // A later attempt tries to load again (the user may have fetched the files meanwhile).
  worker.generate(text_request("a chair", 2));
  EXPECT_EQ(collect_until(worker, WorkerEventKind::Failed).back().message, "text300M is missing");
}

TEST(GenerationWorker, LoadModelsReportsReadyOrWhatIsMissing) {
  GenerationWorker worker(golden_resolver());
  worker.load_models(ConditioningMode::kText);
  auto events = collect_until(worker, WorkerEventKind::ModelsReady);
  ASSERT_EQ(events.size(), 2u) << kinds(events);
  EXPECT_EQ(events[0].kind, WorkerEventKind::Loading);
  // Loaded once: a generation goes straight to sampling.
  worker.generate(text_request("a chair", 1));
  events = collect_until(worker, WorkerEventKind::Finished);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().kind, WorkerEventKind::Step) << kinds(events);

  GenerationWorker missing([](ConditioningMode) -> ModelFileSet { throw std::runtime_error("missing text300M"); });
  missing.load_models(ConditioningMode::kText);
  EXPECT_EQ(collect_until(missing, WorkerEventKind::Failed).back().message, "missing text300M");
}

// A model that recommends a guidance (the demo model's sampling.yaml) samples with it unless the
// user chose one: the latents equal those of that guidance given explicitly.
TEST(GenerationWorker, RecommendedGuidanceAppliesUnlessTheUserChoseOne) {
  const auto latents_of = [](GenerationWorker& worker, const GenerationRequest& request) {
    worker.generate(request);
    for (const auto& event : collect_until(worker, WorkerEventKind::Finished)) {
      if (event.kind == WorkerEventKind::SamplesReady) return event.latents.at(0).values;
    }
    ADD_FAILURE() << "no samples";
    return std::vector<float>{};
  };
  GenerationWorker recommending([](ConditioningMode) {
    ModelFileSet files = golden_text_files();
    files.recommended_guidance = GuidanceRecommendation{3.0};
    return files;
  });
  recommending.load_models(ConditioningMode::kText);
  const auto ready = collect_until(recommending, WorkerEventKind::ModelsReady);
  ASSERT_FALSE(ready.empty());
  EXPECT_EQ(ready.back().recommended_guidance, GuidanceRecommendation{3.0});

  GenerationRequest unchosen = text_request("a chair", 2);
  unchosen.settings.guidance_scale = 15.0;
  unchosen.use_recommended_guidance = true;
  GenerationRequest chosen = unchosen;
  chosen.use_recommended_guidance = false;
  GenerationRequest explicit_three = chosen;
  explicit_three.settings.guidance_scale = 3.0;

  const auto with_recommendation = latents_of(recommending, unchosen);
  const auto with_users_choice = latents_of(recommending, chosen);
  GenerationWorker plain(golden_resolver());
  EXPECT_EQ(with_recommendation, latents_of(plain, explicit_three));
  EXPECT_EQ(with_users_choice, latents_of(plain, chosen));
  EXPECT_NE(with_recommendation, with_users_choice);
}

TEST(GenerationWorker, DestructionWhileGeneratingJoinsPromptly) {
  const auto start = Clock::now();
  {
    GenerationWorker worker(golden_resolver());
    worker.generate(text_request("a chair", 5000));
    collect_until(worker, WorkerEventKind::Preview);
  }
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(60));
}

// The latent of a one-step "a chair" (what the export tests export).
Latent generate_one_latent(GenerationWorker& worker) {
  worker.generate(text_request("a chair", 1));
  const auto events = collect_until(worker, WorkerEventKind::Finished);
  for (const auto& event : events) {
    if (event.kind == WorkerEventKind::SamplesReady) return event.latents.at(0);
  }
  ADD_FAILURE() << "no samples: " << kinds(events);
  return {};
}

TEST(GenerationWorker, ExportsAMeshFileThatReadsBack) {
  const fs::path path = fs::temp_directory_path() / "shape_worker_export_test.glb";
  fs::remove(path);
  GenerationWorker worker(golden_resolver());
  ExportRequest request;
  request.latent = generate_one_latent(worker);
  request.grid_size = 24;
  request.path = path;
  worker.export_mesh(request);
  const auto exported = collect_until(worker, WorkerEventKind::Exported);
  ASSERT_FALSE(exported.empty());
  EXPECT_NE(exported.back().message.find(path.string()), std::string::npos);
  EXPECT_GT(read_gltf(path).triangles.size(), 10u);
  fs::remove(path);

  request.path = "/nonexistent-dir/x.glb";
  worker.export_mesh(request);
  const auto failed = collect_until(worker, WorkerEventKind::Failed);
  ASSERT_FALSE(failed.empty());
  EXPECT_NE(failed.back().message.find("/nonexistent-dir"), std::string::npos) << failed.back().message;
}

// A turntable reports each frame and stops on cancel_exports(): Cancelled, and no file.
TEST(GenerationWorker, TurntableExportReportsFramesAndCancels) {
  const fs::path path = fs::temp_directory_path() / "shape_worker_turntable_test.webp";
  fs::remove(path);
  GenerationWorker worker(golden_resolver());
  ExportRequest request;
  request.latent = generate_one_latent(worker);
  request.path = path;
  TurntableSettings turntable;
  turntable.frames = 360;  // far more than run before the cancel arrives
  turntable.size = 32;
  request.turntable = turntable;
  worker.export_mesh(request);
  const auto first = collect_until(worker, WorkerEventKind::Exporting);
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first.back().message, "rendering turntable frame 1 of 360");
  worker.cancel_exports();
  const auto cancelled = collect_until(worker, WorkerEventKind::Cancelled, std::chrono::seconds(30));
  ASSERT_FALSE(cancelled.empty()) << kinds(cancelled);
  EXPECT_EQ(cancelled.back().job, 0u);
  EXPECT_EQ(cancelled.back().message, "export cancelled: shape_worker_turntable_test.webp was not written");
  EXPECT_FALSE(fs::exists(path));
  for (const auto& event : cancelled) EXPECT_NE(event.kind, WorkerEventKind::Exported);

  // The next export runs to the end.
  turntable.frames = 2;
  request.turntable = turntable;
  worker.export_mesh(request);
  const auto exported = collect_until(worker, WorkerEventKind::Exported);
  ASSERT_FALSE(exported.empty());
  EXPECT_TRUE(fs::exists(path));
  fs::remove(path);
}

}  // namespace
}  // namespace shape::studio
