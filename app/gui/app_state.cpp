#include "gui/app_state.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace shape::studio {

namespace {

void copy_into(std::array<char, 1024>& buffer, const std::string& text) {
  const size_t n = std::min(text.size(), buffer.size() - 1);
  std::copy_n(text.data(), n, buffer.data());
  buffer[n] = '\0';
}

std::string duration_text(double seconds) {
  const long total = std::lround(std::max(0.0, seconds));
  char text[32];
  if (total >= 60) {
    std::snprintf(text, sizeof text, "%ldm %02lds", total / 60, total % 60);
  } else {
    std::snprintf(text, sizeof text, "%lds", total);
  }
  return text;
}

}  // namespace

void AppState::set_prompt(const std::string& text) { copy_into(prompt, text); }
void AppState::set_export_path(const std::string& text) { copy_into(export_path, text); }

void AppState::set_status(std::string message, bool is_error) {
  status = std::move(message);
  status_is_error = is_error;
}

bool apply_event(AppState& state, const WorkerEvent& event) {
  // Late events of a replaced generation are dropped; renders and exports carry job 0.
  if (event.job != 0 && event.job != state.job) return false;
  switch (event.kind) {
    case WorkerEventKind::Loading:
      // Start-up loading (job 0) must not hide an error the user has yet to read.
      if (event.job != 0) state.phase = "loading models";
      if (event.job != 0 || !state.status_is_error) state.set_status(event.message);
      return false;
    case WorkerEventKind::ModelsReady:
      if (!state.generating && !state.status_is_error) state.set_status(event.message + ": ready");
      return false;
    case WorkerEventKind::Step:
      state.phase = "sampling";
      state.step = event.step;
      state.total_steps = event.total_steps;
      state.sigma = event.sigma;
      state.elapsed_seconds = event.elapsed_seconds;
      state.eta_seconds = event.eta_seconds;
      return false;
    case WorkerEventKind::Preview:
    case WorkerEventKind::Rendered:
      state.image_to_show = event.image;
      return false;
    case WorkerEventKind::SamplesReady:
      state.latents = event.latents;
      state.has_result = true;
      state.phase = "meshing";
      state.step = state.total_steps;
      if (!event.message.empty()) state.set_status("note: " + event.message);
      return false;
    case WorkerEventKind::MeshReady:
      if (event.sample == 0) {
        state.mesh = event.mesh;
        state.mesh_changed = true;
        if (event.mesh.empty()) state.set_status("this sample has no surface (its SDF never crosses zero)", true);
      }
      return false;
    case WorkerEventKind::Exported:
      state.export_message = event.message;
      state.export_failed = false;
      return false;
    case WorkerEventKind::Finished:
      state.generating = false;
      state.phase.clear();
      if (!state.status_is_error) {
        state.set_status("done in " + duration_text(state.elapsed_seconds) + ": " +
                         std::to_string(state.mesh.triangles.size()) + " triangles");
      }
      return true;
    case WorkerEventKind::Cancelled:
      state.generating = false;
      state.phase.clear();
      state.set_status("cancelled");
      return event.job != 0;
    case WorkerEventKind::Failed:
      if (event.job == 0) {
        // An export or render that failed; an export says so next to its button too.
        if (event.message.rfind("export", 0) == 0) {
          state.export_message = event.message;
          state.export_failed = true;
        }
        state.set_status(event.message, true);
        return false;
      }
      state.generating = false;
      state.phase.clear();
      state.set_status(event.message, true);
      return true;
  }
  return false;
}

GenerationRequest make_request(const AppState& state) {
  GenerationRequest request;
  Condition condition;
  if (state.image_condition) {
    condition.image = state.image_condition;
  } else {
    condition.prompt = state.prompt_text();
  }
  request.conditions = {condition};
  request.settings.seed = static_cast<uint64_t>(std::max(0, state.seed));
  request.settings.steps = std::max(1, state.steps);
  request.settings.guidance_scale = state.guidance;
  request.preview_size = std::clamp(state.preview_size, 16, 1024);
  request.mesh_grid_size = std::clamp(state.grid_size, 8, 256);
  return request;
}

std::vector<uint8_t> to_rgba(const ImageU8& image) {
  const size_t count = static_cast<size_t>(image.width) * static_cast<size_t>(image.height);
  std::vector<uint8_t> rgba(count * 4, 255);
  const int channels = image.channels;
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* in = &image.pixels[i * static_cast<size_t>(channels)];
    uint8_t* out = &rgba[i * 4];
    if (channels >= 3) {
      out[0] = in[0];
      out[1] = in[1];
      out[2] = in[2];
    } else {
      out[0] = out[1] = out[2] = in[0];
    }
    if (channels == 4) out[3] = in[3];
    if (channels == 2) out[3] = in[1];
  }
  return rgba;
}

std::string progress_text(const AppState& state) {
  if (state.phase == "sampling" && state.total_steps > 0) {
    char text[128];
    std::snprintf(text, sizeof text, "step %lld/%lld  sigma %.3g  ETA %s",
                  static_cast<long long>(std::min(state.step + 1, state.total_steps)),
                  static_cast<long long>(state.total_steps), state.sigma, duration_text(state.eta_seconds).c_str());
    return text;
  }
  return state.phase;
}

}  // namespace shape::studio
