// shape-studio's command line: model overrides like shape-cli's, start-up settings, and the hooks
// headless tests drive the app with (--generate, --exit-after-job, --screenshot, --drop, --export).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cli/model_options.h"
#include "cli/sampler_options.h"
#include "renderer/view_layout.h"

namespace shape::studio {

struct AppOptions {
  cli::ModelOptions models;
  std::string prompt;
  std::optional<uint64_t> seed;
  cli::SamplerOptions sampler;  // --preset, --sampler, --steps
  std::optional<double> guidance;
  std::optional<int64_t> grid_size;
  std::optional<int64_t> preview_size;
  std::optional<int64_t> preview_every;
  std::optional<int64_t> samples;
  std::optional<int64_t> turntable_frames;  // the Export panel's Turntable
  std::optional<int64_t> turntable_size;
  render::ViewMode view = render::ViewMode::Split;
  bool view_given = false;  // --view was on the command line (else the saved view is used)
  int window_width = 1280;
  int window_height = 800;

  bool generate = false;           // start a generation right away (with --prompt or --drop)
  bool exit_after_job = false;     // quit once that job (and --export) is over, or after a few frames
  bool wait_until_sharp = false;   // ... and the NeRF view has sharpened to the pane's resolution
  std::filesystem::path screenshot;  // PNG of the last frame before quitting
  struct StepScreenshot {
    int64_t step = 0;  // 1-based, as the progress bar counts
    std::filesystem::path path;
  };
  std::vector<StepScreenshot> step_screenshots;  // PNG of the frame showing the first preview from that step on
  bool trace = false;  // print events and the clickable widgets' places (for tests driving the window)
  std::filesystem::path drop;      // handled as if the file had been dropped on the window
  std::filesystem::path export_path;  // export the first sample here after the job
  bool strict_validation = false;  // Vulkan validation on; exit code 3 if it reported anything
  bool help = false;
};

extern const char* const kStudioUsage;

// Throws cli::UsageError for a bad command line.
AppOptions parse_app_options(const std::vector<std::string>& args);

}  // namespace shape::studio
