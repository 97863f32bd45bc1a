// The window's status line, folded from worker events without a window.
#include <string>

#include <gtest/gtest.h>

#include "gui/app_state.h"

namespace shape::studio {
namespace {

// A job as the user sees it: loading, each step, meshing, then how it ended; never a stale line.
TEST(AppStateStatus, SaysWhatIsHappeningNowThroughAJob) {
  AppState state;
  EXPECT_EQ(status_line(state).text, "idle");
  state.job = 1;
  state.generating = true;
  apply_event(state, make_worker_event(WorkerEventKind::Loading, 1, "loading the text models..."));
  EXPECT_EQ(status_line(state).text, "loading models...");
  EXPECT_EQ(status_line(state).tone, StatusLine::Tone::kBusy);

  WorkerEvent ready = make_worker_event(WorkerEventKind::ModelsReady, 1, "text models loaded, bf16");
  ready.model_label = "demo model (not Shap-E)";
  apply_event(state, ready);
  EXPECT_EQ(state.model_label, "demo model (not Shap-E)");
  EXPECT_EQ(state.status.rfind("text models loaded, bf16", 0), 0u) << state.status;  // not "loading..." any more

  WorkerEvent step = make_worker_event(WorkerEventKind::Step, 1);
  step.step = 2;
  step.total_steps = 64;
  step.sigma = 80.0;
  step.eta_seconds = 65.0;
  apply_event(state, step);
  EXPECT_EQ(status_line(state).text.rfind("step 3/64", 0), 0u) << status_line(state).text;
  EXPECT_EQ(state.status, "sampling: " + describe(state.sampler_choice()));

  WorkerEvent samples = make_worker_event(WorkerEventKind::SamplesReady, 1);
  samples.latents.resize(2);
  apply_event(state, samples);
  EXPECT_EQ(status_line(state).text, "meshing...");
  EXPECT_EQ(state.status, "meshing 2 samples...");

  state.elapsed_seconds = 12.0;
  apply_event(state, make_worker_event(WorkerEventKind::Finished, 1));
  EXPECT_EQ(status_line(state).text.rfind("done in 12s", 0), 0u) << status_line(state).text;
  EXPECT_EQ(status_line(state).tone, StatusLine::Tone::kDone);
}

// After a failed job the bar says what failed (its first line), not "idle"; cancelling says so.
TEST(AppStateStatus, AFailedOrCancelledJobSaysSo) {
  AppState state;
  state.job = 4;
  state.generating = true;
  apply_event(state, make_worker_event(WorkerEventKind::Failed, 4, "image_cond.pt is missing\nURL: ..."));
  EXPECT_FALSE(state.generating);
  EXPECT_EQ(status_line(state).text, "failed: image_cond.pt is missing");
  EXPECT_EQ(status_line(state).tone, StatusLine::Tone::kError);

  state.job = 5;
  state.generating = true;
  apply_event(state, make_worker_event(WorkerEventKind::Cancelled, 5));
  EXPECT_EQ(status_line(state).text, "cancelled");
  EXPECT_EQ(status_line(state).tone, StatusLine::Tone::kIdle);
}

// An export says how far it is (a turntable's frames), then what was written, failed or cancelled.
TEST(AppStateStatus, ExportsSayHowFarTheyAreAndHowTheyEnded) {
  AppState state;
  state.exporting = true;
  state.export_cancellable = true;
  state.export_message = "rendering a turntable to spin.webp...";
  EXPECT_EQ(status_line(state).text, "rendering a turntable to spin.webp...");
  apply_event(state, make_worker_event(WorkerEventKind::Exporting, 0, "rendering turntable frame 3 of 24"));
  EXPECT_EQ(status_line(state).text, "rendering turntable frame 3 of 24");
  EXPECT_EQ(status_line(state).tone, StatusLine::Tone::kBusy);
  apply_event(state, make_worker_event(WorkerEventKind::Cancelled, 0, "export cancelled: spin.webp was not written"));
  EXPECT_FALSE(state.exporting);
  EXPECT_EQ(status_line(state).text, "export cancelled: spin.webp was not written");
  EXPECT_EQ(state.export_message, "export cancelled: spin.webp was not written");

  state.exporting = true;
  apply_event(state, make_worker_event(WorkerEventKind::Exported, 0, "wrote cube.glb: 12 triangles, 1.0 kB"));
  EXPECT_FALSE(state.exporting);
  EXPECT_EQ(status_line(state).text, "wrote cube.glb: 12 triangles, 1.0 kB");

  state.exporting = true;
  apply_event(state, make_worker_event(WorkerEventKind::Failed, 0, "export failed: /x: cannot write"));
  EXPECT_FALSE(state.exporting);
  EXPECT_TRUE(state.export_failed);
  EXPECT_EQ(status_line(state).tone, StatusLine::Tone::kError);
}

// A prompt longer than CLIP reads is flagged with where reading stops; one longer than the field is
// cut with a word, never silently.
TEST(AppStatePrompt, LongPromptsAreFlaggedAndCutWithAWord) {
  EXPECT_EQ(clip_reading_notice("a red cube"), "");
  std::string words;
  for (int i = 0; i < 30; ++i) words += "alpha beta gamma delta ";  // one token each
  const std::string notice = clip_reading_notice(words);
  EXPECT_NE(notice.find("CLIP reads 77 tokens; this prompt has 122."), std::string::npos) << notice;
  // 75 words are read: 18 times the four, then three more.
  EXPECT_NE(notice.find("gamma delta alpha beta gamma\""), std::string::npos) << notice;

  AppState state;
  EXPECT_TRUE(state.set_prompt(words));
  EXPECT_EQ(state.prompt_text(), words);
  EXPECT_FALSE(state.set_prompt(std::string(5000, 'a')));
  EXPECT_EQ(state.prompt_text().size(), state.prompt.size() - 1);
  EXPECT_TRUE(state.status_is_error);
  EXPECT_NE(state.status.find("the prompt was cut to its first 4095 characters"), std::string::npos);
}

// Ctrl+V in the window: a copied file's path or file:// URI (first line, trimmed, decoded) is
// handled as a drop; text that names nothing gives an empty path.
TEST(AppStatePaste, ClipboardTextNamesTheFileAsADropWould) {
  EXPECT_EQ(pasted_path("/home/me/red cube.png"), "/home/me/red cube.png");
  EXPECT_EQ(pasted_path("  /tmp/a.jpg \n/tmp/b.png\n"), "/tmp/a.jpg");
  EXPECT_EQ(pasted_path("file:///home/me/red%20cube.png\r\n"), "/home/me/red cube.png");
  EXPECT_EQ(pasted_path("file:///tmp/100%"), "/tmp/100%");  // not an escape: kept as it is
  EXPECT_EQ(pasted_path(" \t\n"), "");
  EXPECT_EQ(pasted_path(""), "");
}

}  // namespace
}  // namespace shape::studio
