#include "gui/app_options.h"

#include <cstdio>

#include "cli/arguments.h"
#include "cli/output_options.h"

namespace shape::studio {

const char* const kStudioUsage = R"(usage: shape-studio [options]
  Shape Studio: text or image -> 3D with Shap-E, in a window.
      --prompt TEXT            the prompt to start with
      --seed N --guidance X --grid N --preview-size N --preview-every N --samples N
      --preset official|fast --sampler NAME --steps N
                               start-up settings (--sampler or --steps: Custom)
      --view split|nerf|mesh   what the window shows (default: the saved view, else split)
  Settings and the last 20 prompts are saved to $SHAPE_STUDIO_CONFIG_DIR, else
  $XDG_CONFIG_HOME/shape-studio, else ~/.config/shape-studio (settings.ini); options override them.
      --window WxH             window size (default 1280x800)
  test hooks:
      --generate               start generating at once (the prompt, or the --drop image)
      --drop FILE              act as if FILE had been dropped on the window
      --export PATH            after the job, export the first sample (format from the extension;
                               .webp: a turntable animation)
      --turntable-frames N     the Turntable's frames per turn (default 24, 2..360)
      --turntable-size N       its pixels per side (default 128, 16..1024)
      --exit-after-job         quit when the job is over (or after a few frames when there is none)
      --wait-until-sharp       with --exit-after-job: first let the NeRF view sharpen to the pane's
                               resolution
      --screenshot PATH.png    save the last frame before quitting
      --screenshot-at-step K:PATH.png   save the frame showing the first preview from step K on, the
                                        final one included (repeatable)
      --trace                  print events and where the clickable widgets are
  Ctrl+Q quits.
      --strict-validation      Vulkan validation on; print the message count and exit 3 if any
)";

namespace {

render::ViewMode parse_view(const std::string& value) {
  if (value == "split") return render::ViewMode::Split;
  if (value == "nerf") return render::ViewMode::ImageOnly;
  if (value == "mesh") return render::ViewMode::MeshOnly;
  throw cli::UsageError{"--view takes split, nerf or mesh, got '" + value + "'"};
}

void parse_window_size(const std::string& value, int& width, int& height) {
  int w = 0, h = 0;
  char extra = 0;
  if (std::sscanf(value.c_str(), "%dx%d%c", &w, &h, &extra) != 2 || w < 320 || h < 240 || w > 8192 || h > 8192) {
    throw cli::UsageError{"--window takes WxH, at least 320x240, got '" + value + "'"};
  }
  width = w;
  height = h;
}

AppOptions::StepScreenshot parse_step_screenshot(const std::string& value) {
  const auto colon = value.find(':');
  AppOptions::StepScreenshot shot;
  if (colon == std::string::npos || colon + 1 == value.size()) {
    throw cli::UsageError{"--screenshot-at-step takes K:PATH.png, got '" + value + "'"};
  }
  shot.step = cli::parse_count("--screenshot-at-step", value.substr(0, colon));
  shot.path = value.substr(colon + 1);
  return shot;
}

}  // namespace

AppOptions parse_app_options(const std::vector<std::string>& args) {
  cli::ArgumentReader reader(args);
  AppOptions options;
  while (!reader.done()) {
    const auto option = reader.next();
    if (options.models.parse(option, reader) || options.sampler.parse(option, reader)) continue;
    if (option == "--help" || option == "-h") {
      options.help = true;
    } else if (option == "--prompt") {
      options.prompt = reader.value_of(option);
    } else if (option == "--seed") {
      options.seed = cli::parse_seed(option, reader.value_of(option));
    } else if (option == "--guidance") {
      options.guidance = cli::parse_number(option, reader.value_of(option));
    } else if (option == "--grid") {
      options.grid_size = cli::parse_count(option, reader.value_of(option));
      if (*options.grid_size < 8 || *options.grid_size > 256) throw cli::UsageError{"--grid must lie in 8..256"};
    } else if (option == "--preview-size") {
      options.preview_size = cli::parse_count(option, reader.value_of(option));
      if (*options.preview_size > 1024) throw cli::UsageError{"--preview-size is at most 1024"};
    } else if (option == "--preview-every") {
      options.preview_every = cli::parse_count(option, reader.value_of(option));
    } else if (option == "--samples") {
      options.samples = cli::parse_count(option, reader.value_of(option));
      if (*options.samples > 8) throw cli::UsageError{"--samples is at most 8"};
    } else if (option == "--screenshot-at-step") {
      options.step_screenshots.push_back(parse_step_screenshot(reader.value_of(option)));
    } else if (option == "--trace") {
      options.trace = true;
    } else if (option == "--view") {
      options.view = parse_view(reader.value_of(option));
      options.view_given = true;
    } else if (option == "--window") {
      parse_window_size(reader.value_of(option), options.window_width, options.window_height);
    } else if (option == "--generate") {
      options.generate = true;
    } else if (option == "--turntable-frames") {
      options.turntable_frames = cli::parse_turntable_frames(option, reader.value_of(option));
    } else if (option == "--turntable-size") {
      options.turntable_size = cli::parse_turntable_size(option, reader.value_of(option));
    } else if (option == "--exit-after-job") {
      options.exit_after_job = true;
    } else if (option == "--wait-until-sharp") {
      options.wait_until_sharp = true;
    } else if (option == "--screenshot") {
      options.screenshot = reader.value_of(option);
    } else if (option == "--drop") {
      options.drop = reader.value_of(option);
    } else if (option == "--export") {
      options.export_path = reader.value_of(option);
    } else if (option == "--strict-validation") {
      options.strict_validation = true;
    } else {
      throw cli::UsageError{"unknown option '" + option + "' (see shape-studio --help)"};
    }
  }
  return options;
}

}  // namespace shape::studio
