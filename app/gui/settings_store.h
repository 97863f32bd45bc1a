// shape-studio's persisted settings and prompt history: a plain "key=value" text file,
// $SHAPE_STUDIO_CONFIG_DIR, else $XDG_CONFIG_HOME/shape-studio, else ~/.config/shape-studio,
// /settings.ini. Written atomically (temporary file + rename). Torch- and window-free.
#pragma once

#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "gui/custom_models.h"
#include "inference/diffusion/sampler_choice.h"

namespace shape::studio {

inline constexpr std::size_t kMaxPromptHistory = 20;
inline constexpr int kMaxPreviewEvery = 64;
inline constexpr int kMaxPreviewSamples = 256;
// The sampler preset setting's value when the sampler and steps are the user's own.
inline constexpr const char* kCustomSamplerPreset = "custom";

struct StudioSettings {
  int seed = 0;
  std::string sampler_preset = preset_name(kDefaultSamplerPreset);  // official | fast | custom
  std::string sampler = "heun";  // custom's sampler and steps
  int steps = 64;
  float guidance = 15.0f;
  std::string precision = "auto";  // auto | fp32 | bf16 | fp16
  int grid_size = 128;
  int preview_size = 64;
  int preview_every = 1;            // a NeRF preview every N denoising steps
  int preview_coarse_samples = 32;  // caps on the previews' samples per ray (0: the model's)
  int preview_fine_samples = 32;
  std::string view = "split";  // split | nerf | mesh
  bool wireframe = false;
  std::string background = "dark";  // dark | light: behind the NeRF and the mesh alike
  std::string export_path = "shape.glb";
  std::string export_format = "glb";  // glb | gltf | ply | obj
  int samples = 1;
  std::vector<std::string> history;  // most recent first, no duplicates, at most kMaxPromptHistory
  CustomModelPaths models;           // the Models panel's files (empty: official)
  std::string training_run_dir;      // the Training panel's run folder

  bool operator==(const StudioSettings& other) const;
  bool operator!=(const StudioSettings& other) const { return !(*this == other); }
};

// A malformed settings file (the message says which line and why).
class SettingsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The folder described above; empty when none of the variables is set.
std::filesystem::path settings_directory();
// settings_directory() / "settings.ini" (empty when there is no folder).
std::filesystem::path settings_file_path();

std::string serialize_settings(const StudioSettings& settings);
// Unknown keys are ignored (newer versions); a line without '=' or a bad value throws SettingsError.
// Values are clamped to the ranges the GUI offers. A file from before sampler presets (no
// sampler_preset) keeps its Heun steps: official at 64, custom otherwise.
StudioSettings parse_settings(const std::string& text);

struct SettingsLoad {
  StudioSettings settings;  // defaults unless `loaded`
  bool loaded = false;      // the file existed and was read
  std::string error;        // non-empty: the file was unreadable or corrupt and was ignored
};

// Never throws: a missing file gives defaults, a bad one defaults plus `error`.
SettingsLoad load_settings(const std::filesystem::path& file);

// Creates the folder, writes "<file>.tmp", then renames it over `file`. Throws std::runtime_error.
void save_settings(const std::filesystem::path& file, const StudioSettings& settings);

// Puts `prompt` first (removing an earlier copy), trimmed to `limit` entries. Blank prompts are ignored.
void add_to_history(std::vector<std::string>& history, const std::string& prompt,
                    std::size_t limit = kMaxPromptHistory);

}  // namespace shape::studio
