#include "gui/app_state.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <memory>

#include "inference/clip/bpe_tokenizer.h"

namespace shape::studio {

namespace {

// False when `text` did not fit.
template <size_t N>
bool copy_into(std::array<char, N>& buffer, const std::string& text) {
  const size_t n = std::min(text.size(), N - 1);
  std::copy_n(text.data(), n, buffer.data());
  buffer[n] = '\0';
  return n == text.size();
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

bool AppState::set_prompt(const std::string& text) {
  if (copy_into(prompt, text)) return true;
  set_status("the prompt was cut to its first " + std::to_string(prompt.size() - 1) + " characters", true);
  return false;
}
void AppState::set_export_path(const std::string& text) { copy_into(export_path, text); }

void AppState::set_model_fields(const CustomModelPaths& paths) {
  for (size_t i = 0; i < kModelPathCount; ++i) copy_into(model_fields[i], paths.paths[i]);
}

CustomModelPaths AppState::model_fields_paths() const {
  CustomModelPaths paths;
  for (size_t i = 0; i < kModelPathCount; ++i) paths.paths[i] = model_fields[i].data();
  return paths;
}

void AppState::set_status(std::string message, bool is_error) {
  status = std::move(message);
  status_is_error = is_error;
}

SamplerChoice AppState::sampler_choice() const {
  return sampler_preset ? preset_choice(*sampler_preset) : SamplerChoice{sampler, std::max(1, steps)};
}

void choose_sampler_preset(AppState& state, std::optional<SamplerPreset> preset) {
  if (!preset && state.sampler_preset) {
    const auto in_use = state.sampler_choice();
    state.sampler = in_use.sampler;
    state.steps = static_cast<int>(in_use.steps);
  }
  state.sampler_preset = preset;
}

StudioSettings settings_from_state(const AppState& state) {
  StudioSettings settings;
  settings.seed = state.seed;
  settings.sampler_preset = state.sampler_preset ? preset_name(*state.sampler_preset) : kCustomSamplerPreset;
  settings.sampler = sampler_name(state.sampler);
  settings.steps = state.steps;
  settings.precision = precision_request_name(state.precision);
  settings.guidance = state.text_guidance.value_or(state.guidance_before_recommendation.value_or(state.guidance));
  settings.grid_size = state.grid_size;
  settings.preview_size = state.preview_size;
  settings.preview_every = std::clamp(state.preview_every, 1, kMaxPreviewEvery);
  settings.preview_coarse_samples = std::clamp(state.preview_coarse_samples, 0, kMaxPreviewSamples);
  settings.preview_fine_samples = std::clamp(state.preview_fine_samples, 0, kMaxPreviewSamples);
  settings.models = state.models;
  settings.training_run_dir = state.training_run_dir.data();
  settings.background = state.light_background ? "light" : "dark";
  settings.view = state.view == render::ViewMode::ImageOnly  ? "nerf"
                  : state.view == render::ViewMode::MeshOnly ? "mesh"
                                                             : "split";
  settings.wireframe = state.wireframe;
  settings.export_path = state.export_path.data();
  const int format = std::clamp(state.export_format, 0, static_cast<int>(std::size(kExportFormats)) - 1);
  settings.export_format = kExportFormats[format];
  settings.samples = std::clamp(state.samples, 1, 8);
  settings.history = state.history;
  return settings;
}

void apply_settings(AppState& state, const StudioSettings& settings) {
  state.seed = std::max(0, settings.seed);
  for (const auto kind : all_sampler_kinds()) {
    if (settings.sampler == sampler_name(kind)) state.sampler = kind;
  }
  if (settings.sampler_preset == kCustomSamplerPreset) state.sampler_preset.reset();
  for (const auto preset : all_sampler_presets()) {
    if (settings.sampler_preset == preset_name(preset)) state.sampler_preset = preset;
  }
  state.steps = std::clamp(settings.steps, 1, 256);
  try {
    state.precision = parse_precision_request(settings.precision);
  } catch (const std::invalid_argument&) {
    state.precision = PrecisionRequest::kAuto;
  }
  state.guidance = std::clamp(settings.guidance, 0.0f, 30.0f);
  state.grid_size = std::clamp(settings.grid_size, 16, 256);
  state.export_grid = state.grid_size;
  state.preview_size = std::clamp(settings.preview_size, 32, 512);
  state.preview_every = std::clamp(settings.preview_every, 1, kMaxPreviewEvery);
  state.preview_coarse_samples = std::clamp(settings.preview_coarse_samples, 0, kMaxPreviewSamples);
  state.preview_fine_samples = std::clamp(settings.preview_fine_samples, 0, kMaxPreviewSamples);
  state.models = settings.models;
  state.set_model_fields(settings.models);
  copy_into(state.training_run_dir, settings.training_run_dir);
  state.light_background = settings.background == "light";
  state.view = settings.view == "nerf"   ? render::ViewMode::ImageOnly
               : settings.view == "mesh" ? render::ViewMode::MeshOnly
                                         : render::ViewMode::Split;
  state.wireframe = settings.wireframe;
  state.set_export_path(settings.export_path);
  for (size_t i = 0; i < std::size(kExportFormats); ++i) {
    if (settings.export_format == kExportFormats[i]) state.export_format = static_cast<int>(i);
  }
  state.samples = std::clamp(settings.samples, 1, 8);
  state.history = settings.history;
  if (state.history.size() > kMaxPromptHistory) state.history.resize(kMaxPromptHistory);
}

void remember_prompt(AppState& state) {
  if (state.image_condition) return;
  add_to_history(state.history, state.prompt_text());
}

std::filesystem::path pasted_path(const std::string& clipboard_text) {
  std::string line = clipboard_text.substr(0, clipboard_text.find_first_of("\r\n"));
  const auto first = line.find_first_not_of(" \t"), last = line.find_last_not_of(" \t");
  if (first == std::string::npos) return {};
  line = line.substr(first, last - first + 1);
  const std::string scheme = "file://";
  if (line.rfind(scheme, 0) != 0) return line;
  std::string decoded;
  for (size_t i = scheme.size(); i < line.size(); ++i) {
    const auto hex = [&](size_t at) { return std::isxdigit(static_cast<unsigned char>(line[at])) != 0; };
    if (line[i] == '%' && i + 2 < line.size() && hex(i + 1) && hex(i + 2)) {
      decoded += static_cast<char>(std::stoi(line.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      decoded += line[i];
    }
  }
  return decoded;
}

void remove_reference_image(AppState& state) {
  state.image_condition.reset();
  state.image_name.clear();
  // The text guidance from before the image (see handle_drop), else Shap-E's.
  state.guidance = state.text_guidance.value_or(15.0f);
  state.text_guidance.reset();
  state.guidance_before_recommendation.reset();
  state.guidance_late_note.clear();  // the image model's
  state.reference_changed = true;
}

bool select_sample(AppState& state, size_t index) {
  if (index >= state.latents.size()) return false;
  state.shown_sample = index;
  if (index < state.sample_meshes.size()) {
    state.mesh = state.sample_meshes[index];
    state.mesh_changed = true;
  }
  return true;
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
    case WorkerEventKind::ModelsReady: {
      state.models_in_use = event.message;
      state.model_label = event.model_label;
      std::string ready = event.message + ": ready";
      if (event.recommended_guidance && !state.guidance_chosen) {
        if (!state.guidance_before_recommendation) state.guidance_before_recommendation = state.guidance;
        state.guidance = static_cast<float>(event.recommended_guidance->scale);
        state.guidance_late_note = event.recommended_guidance->describe_late();
        ready += "; " + event.recommended_guidance->describe() + ", as this model recommends";
      } else {
        state.guidance_late_note.clear();
        if (!event.recommended_guidance && state.guidance_before_recommendation && !state.guidance_chosen) {
          state.guidance = *state.guidance_before_recommendation;
          state.guidance_before_recommendation.reset();
        }
      }
      // A job's own loading message gives way to this; an error from before a job stays.
      if (state.generating || !state.status_is_error) state.set_status(ready);
      return false;
    }
    case WorkerEventKind::Step:
      if (state.phase != "sampling" && !state.status_is_error) {
        state.set_status("sampling: " + describe(state.sampler_choice()));
      }
      state.phase = "sampling";
      state.step = event.step;
      state.total_steps = event.total_steps;
      state.sigma = event.sigma;
      state.elapsed_seconds = event.elapsed_seconds;
      state.eta_seconds = event.eta_seconds;
      return false;
    case WorkerEventKind::Preview:
      state.image_to_show = event.image;
      state.image_step = event.step < event.total_steps ? event.step : -1;
      return false;
    case WorkerEventKind::Rendered:
      state.image_to_show = event.image;
      state.image_step = -1;
      return false;
    case WorkerEventKind::Thumbnail:
      if (event.sample < state.sample_thumbnails.size()) {
        state.sample_thumbnails[event.sample] = event.image;
        state.thumbnails_changed.push_back(event.sample);
      }
      return false;
    case WorkerEventKind::SamplesReady:
      state.latents = event.latents;
      state.sample_meshes.assign(event.latents.size(), Mesh{});
      state.sample_thumbnails.assign(event.latents.size(), ImageU8{});
      if (state.shown_sample >= state.latents.size()) state.shown_sample = 0;
      state.has_result = true;
      state.phase = "meshing";
      state.step = state.total_steps;
      if (!event.message.empty()) {
        state.set_status("note: " + event.message);
      } else if (!state.status_is_error) {
        state.set_status(event.latents.size() > 1 ? "meshing " + std::to_string(event.latents.size()) + " samples..."
                                                  : std::string("meshing..."));
      }
      return false;
    case WorkerEventKind::MeshReady:
      if (event.sample < state.sample_meshes.size()) state.sample_meshes[event.sample] = event.mesh;
      if (event.sample == state.shown_sample) {
        state.mesh = event.mesh;
        state.mesh_changed = true;
        if (event.mesh.empty()) state.set_status("this sample has no surface (its SDF never crosses zero)", true);
      }
      return false;
    case WorkerEventKind::Exporting:
      state.export_message = event.message;
      return false;
    case WorkerEventKind::Exported:
      state.exporting = false;
      state.export_message = event.message;
      state.export_failed = false;
      if (!state.generating) state.set_status(event.message);
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
      if (event.job == 0) {  // an export
        state.exporting = false;
        state.export_message = event.message;
        state.export_failed = false;
        if (!state.generating) state.set_status(event.message);
        return false;
      }
      state.generating = false;
      state.phase.clear();
      state.set_status("cancelled");
      return true;
    case WorkerEventKind::Failed:
      if (event.job == 0) {
        // An export or render that failed; an export says so next to its button too.
        if (event.message.rfind("export", 0) == 0) {
          state.exporting = false;
          state.export_message = event.message;
          state.export_failed = true;
        }
        state.set_status(event.message, true);
        return false;
      }
      state.generating = false;
      state.phase.clear();
      state.set_status("failed: " + event.message, true);
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
  request.conditions.assign(static_cast<size_t>(std::clamp(state.samples, 1, 8)), condition);
  request.settings.seed = static_cast<uint64_t>(std::max(0, state.seed));
  const auto sampler = state.sampler_choice();
  request.settings.sampler = sampler.sampler;
  request.settings.steps = sampler.steps;
  request.settings.guidance_scale = state.guidance;
  request.use_recommended_guidance = !state.guidance_chosen;
  request.preview_size = std::clamp(state.preview_size, 16, 1024);
  request.preview_every = std::clamp(state.preview_every, 1, kMaxPreviewEvery);
  request.preview_render = preview_render_settings(state);
  request.mesh_grid_size = std::clamp(state.grid_size, 8, 256);
  request.preview_sample = std::min(state.shown_sample, request.conditions.size() - 1);
  return request;
}

std::array<uint8_t, 3> background_rgb(const AppState& state) {
  if (state.light_background) return {255, 255, 255};
  return {28, 28, 31};
}

RenderSettings preview_render_settings(const AppState& state) {
  RenderSettings settings;
  settings.seed = static_cast<uint64_t>(std::max(0, state.seed));
  settings.coarse_samples = std::clamp(state.preview_coarse_samples, 0, kMaxPreviewSamples);
  settings.fine_samples = std::clamp(state.preview_fine_samples, 0, kMaxPreviewSamples);
  settings.skip_empty_space = true;
  const auto rgb = background_rgb(state);
  settings.background_rgb = std::array<float, 3>{static_cast<float>(rgb[0]), static_cast<float>(rgb[1]),
                                                 static_cast<float>(rgb[2])};
  return settings;
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

StatusLine status_line(const AppState& state) {
  if (state.generating) {
    if (state.phase == "sampling") return {progress_text(state), StatusLine::Tone::kBusy};
    if (state.phase == "meshing") return {"meshing...", StatusLine::Tone::kBusy};
    return {state.phase.empty() ? std::string("starting...") : state.phase + "...", StatusLine::Tone::kBusy};
  }
  if (state.exporting) return {state.export_message, StatusLine::Tone::kBusy};
  if (state.status.empty()) return {"idle", StatusLine::Tone::kIdle};
  const std::string first_line = state.status.substr(0, state.status.find('\n'));
  if (state.status_is_error) return {first_line, StatusLine::Tone::kError};
  return {first_line, first_line.rfind("done", 0) == 0 ? StatusLine::Tone::kDone : StatusLine::Tone::kIdle};
}

std::string clip_reading_notice(const std::string& prompt) {
  // Loaded once, on the GUI thread, at the first prompt that could be too long.
  static std::unique_ptr<ClipTokenizer> tokenizer;
  static bool unavailable = false;
  if (prompt.size() < 77 || unavailable) return "";  // no token is shorter than a character
  if (!tokenizer) {
    try {
      tokenizer = std::make_unique<ClipTokenizer>();
    } catch (const std::exception&) {
      unavailable = true;
      return "";
    }
  }
  const auto tokens = tokenizer->tokenize(prompt);
  if (!tokens.truncated()) return "";
  // The words read: the ids between the start token and the end token that replaced the rest.
  std::vector<int32_t> read(tokens.ids.begin() + 1, tokens.ids.end() - 1);
  std::string read_text = tokenizer->decode(read);
  while (!read_text.empty() && read_text.back() == ' ') read_text.pop_back();
  const size_t tail = read_text.size() > 40 ? read_text.rfind(' ', read_text.size() - 40) : std::string::npos;
  const std::string last_words = tail == std::string::npos ? read_text : "..." + read_text.substr(tail + 1);
  return "CLIP reads " + std::to_string(ClipTokenizer::kContextLength) + " tokens; this prompt has " +
         std::to_string(tokens.untruncated_length) + ". It stops after \"" + last_words + "\"";
}

}  // namespace shape::studio
