#include "gui/settings_store.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "inference/precision.h"

#include "inference/export/file_io.h"

namespace shape::studio {

namespace fs = std::filesystem;

namespace {

const char* env(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? value : nullptr;
}

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += c;
    }
  }
  return out;
}

std::string unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      const char next = text[++i];
      out += next == 'n' ? '\n' : next == 'r' ? '\r' : next;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

[[noreturn]] void bad(size_t line, const std::string& why) {
  throw SettingsError("settings line " + std::to_string(line) + ": " + why);
}

// A value the library parses by name (a sampler, a precision): its message, which lists the
// choices, becomes the line's error.
template <typename Parse>
void check_name(const std::string& value, size_t line, Parse parse) {
  try {
    parse(value);
  } catch (const std::invalid_argument& error) {
    bad(line, error.what());
  }
}

long parse_int(const std::string& value, size_t line, const std::string& key) {
  errno = 0;
  char* end = nullptr;
  const long number = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || errno == ERANGE) bad(line, key + " is not an integer: '" + value + "'");
  return number;
}

float parse_float(const std::string& value, size_t line, const std::string& key) {
  char* end = nullptr;
  const float number = std::strtof(value.c_str(), &end);
  if (value.empty() || *end != '\0' || !std::isfinite(number)) bad(line, key + " is not a number: '" + value + "'");
  return number;
}

bool parse_bool(const std::string& value, size_t line, const std::string& key) {
  if (value == "1" || value == "true") return true;
  if (value == "0" || value == "false") return false;
  bad(line, key + " is not true/false: '" + value + "'");
}

int clamp_int(long value, int low, int high) { return static_cast<int>(std::clamp<long>(value, low, high)); }

const ModelPath* find_model_path(const std::string& key) {
  static const auto paths = [] {
    std::array<ModelPath, kModelPathCount> all{};
    for (size_t i = 0; i < kModelPathCount; ++i) all[i] = static_cast<ModelPath>(i);
    return all;
  }();
  for (const auto& which : paths) {
    if (key == model_path_key(which)) return &which;
  }
  return nullptr;
}

}  // namespace

bool StudioSettings::operator==(const StudioSettings& o) const {
  return seed == o.seed && sampler_preset == o.sampler_preset && sampler == o.sampler && steps == o.steps &&
         guidance == o.guidance && precision == o.precision && grid_size == o.grid_size &&
         preview_size == o.preview_size && view == o.view && wireframe == o.wireframe && background == o.background &&
         export_path == o.export_path && export_format == o.export_format && samples == o.samples &&
         history == o.history && preview_every == o.preview_every &&
         preview_coarse_samples == o.preview_coarse_samples && preview_fine_samples == o.preview_fine_samples &&
         models == o.models && training_run_dir == o.training_run_dir;
}

fs::path settings_directory() {
  if (const char* dir = env("SHAPE_STUDIO_CONFIG_DIR")) return fs::path(dir);
  if (const char* xdg = env("XDG_CONFIG_HOME")) return fs::path(xdg) / "shape-studio";
  if (const char* home = env("HOME")) return fs::path(home) / ".config" / "shape-studio";
  return {};
}

fs::path settings_file_path() {
  const fs::path dir = settings_directory();
  return dir.empty() ? fs::path() : dir / "settings.ini";
}

std::string serialize_settings(const StudioSettings& s) {
  std::ostringstream out;
  out << "# shape-studio settings (written by the app; key=value)\n";
  out << "seed=" << s.seed << "\n";
  out << "sampler_preset=" << s.sampler_preset << "\n";
  out << "sampler=" << s.sampler << "\n";
  out << "steps=" << s.steps << "\n";
  char guidance[32];
  std::snprintf(guidance, sizeof guidance, "%.9g", static_cast<double>(s.guidance));
  out << "guidance=" << guidance << "\n";
  out << "precision=" << s.precision << "\n";
  out << "grid_size=" << s.grid_size << "\n";
  out << "preview_size=" << s.preview_size << "\n";
  out << "preview_every=" << s.preview_every << "\n";
  out << "preview_coarse_samples=" << s.preview_coarse_samples << "\n";
  out << "preview_fine_samples=" << s.preview_fine_samples << "\n";
  out << "view=" << s.view << "\n";
  out << "wireframe=" << (s.wireframe ? "true" : "false") << "\n";
  out << "background=" << s.background << "\n";
  out << "export_path=" << escape(s.export_path) << "\n";
  out << "export_format=" << s.export_format << "\n";
  out << "samples=" << s.samples << "\n";
  for (size_t i = 0; i < kModelPathCount; ++i) {
    const auto which = static_cast<ModelPath>(i);
    if (!s.models[which].empty()) out << model_path_key(which) << "=" << escape(s.models[which]) << "\n";
  }
  if (!s.training_run_dir.empty()) out << "training_run_dir=" << escape(s.training_run_dir) << "\n";
  for (const auto& prompt : s.history) out << "history=" << escape(prompt) << "\n";
  return out.str();
}

StudioSettings parse_settings(const std::string& text) {
  if (text.find('\0') != std::string::npos) throw SettingsError("settings file holds binary data");
  StudioSettings s;
  std::istringstream in(text);
  std::string raw;
  size_t line = 0;
  bool preset_given = false;
  while (std::getline(in, raw)) {
    ++line;
    const std::string stripped = trim(raw);
    if (stripped.empty() || stripped[0] == '#' || stripped[0] == ';') continue;
    const auto eq = raw.find('=');
    if (eq == std::string::npos) bad(line, "expected key=value");
    const std::string key = trim(raw.substr(0, eq));
    std::string value = raw.substr(eq + 1);
    if (!value.empty() && value.back() == '\r') value.pop_back();
    const ModelPath* model_path = find_model_path(key);
    const bool verbatim = key == "history" || key == "export_path" || key == "training_run_dir" || model_path;
    if (!verbatim) value = trim(value);
    if (key == "seed") {
      s.seed = clamp_int(parse_int(value, line, key), 0, 0x7fffffff);
    } else if (key == "sampler_preset") {
      if (value != kCustomSamplerPreset) {
        try {
          parse_sampler_preset(value);
        } catch (const std::invalid_argument&) {
          bad(line, std::string("sampler_preset must be ") + kCustomSamplerPreset + ", " + preset_choices());
        }
      }
      s.sampler_preset = value;
      preset_given = true;
    } else if (key == "sampler") {
      check_name(value, line, parse_sampler_kind);
      s.sampler = value;
    } else if (key == "steps") {
      s.steps = clamp_int(parse_int(value, line, key), 1, 256);
    } else if (key == "precision") {
      check_name(value, line, parse_precision_request);
      s.precision = value;
    } else if (key == "guidance") {
      s.guidance = std::clamp(parse_float(value, line, key), 0.0f, 30.0f);
    } else if (key == "grid_size") {
      s.grid_size = clamp_int(parse_int(value, line, key), 16, 256);
    } else if (key == "preview_size") {
      s.preview_size = clamp_int(parse_int(value, line, key), 32, 512);
    } else if (key == "preview_every") {
      s.preview_every = clamp_int(parse_int(value, line, key), 1, kMaxPreviewEvery);
    } else if (key == "preview_coarse_samples") {
      s.preview_coarse_samples = clamp_int(parse_int(value, line, key), 0, kMaxPreviewSamples);
    } else if (key == "preview_fine_samples") {
      s.preview_fine_samples = clamp_int(parse_int(value, line, key), 0, kMaxPreviewSamples);
    } else if (model_path) {
      s.models[*model_path] = unescape(value);
    } else if (key == "training_run_dir") {
      s.training_run_dir = unescape(value);
    } else if (key == "view") {
      if (value != "split" && value != "nerf" && value != "mesh") bad(line, "view must be split, nerf or mesh");
      s.view = value;
    } else if (key == "wireframe") {
      s.wireframe = parse_bool(value, line, key);
    } else if (key == "background") {
      if (value != "dark" && value != "light") bad(line, "background must be dark or light");
      s.background = value;
    } else if (key == "export_path") {
      s.export_path = unescape(value);
    } else if (key == "export_format") {
      if (value != "glb" && value != "gltf" && value != "ply" && value != "obj") bad(line, "unknown export format");
      s.export_format = value;
    } else if (key == "samples") {
      s.samples = clamp_int(parse_int(value, line, key), 1, 8);
    } else if (key == "history") {
      const std::string prompt = unescape(value);
      if (s.history.size() < kMaxPromptHistory && !prompt.empty() &&
          std::find(s.history.begin(), s.history.end(), prompt) == s.history.end()) {
        s.history.push_back(prompt);
      }
    } else if (key.empty()) {
      bad(line, "empty key");
    }  // other keys: from a newer version, ignored
  }
  if (!preset_given) {
    const auto official = preset_choice(SamplerPreset::kOfficial);
    const bool is_official = s.sampler == sampler_name(official.sampler) && s.steps == official.steps;
    s.sampler_preset = is_official ? preset_name(SamplerPreset::kOfficial) : kCustomSamplerPreset;
  }
  return s;
}

SettingsLoad load_settings(const fs::path& file) {
  SettingsLoad result;
  if (file.empty()) return result;
  std::error_code ec;
  if (!fs::exists(file, ec)) return result;
  try {
    if (fs::is_directory(file, ec)) throw SettingsError("it is a folder");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw SettingsError(std::string("cannot open it: ") + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw SettingsError("cannot read it");
    result.settings = parse_settings(text.str());
    result.loaded = true;
  } catch (const std::exception& error) {
    result.settings = StudioSettings{};
    result.error = "ignored the settings file " + file.string() + " (" + error.what() + ")";
  }
  return result;
}

void save_settings(const fs::path& file, const StudioSettings& settings) {
  if (file.empty()) throw std::runtime_error("no settings folder (set HOME or XDG_CONFIG_HOME)");
  std::error_code ec;
  if (file.has_parent_path()) fs::create_directories(file.parent_path(), ec);
  if (ec) throw std::runtime_error("cannot create " + file.parent_path().string() + ": " + ec.message());
  write_files_atomically({{file, serialize_settings(settings)}});
}

void add_to_history(std::vector<std::string>& history, const std::string& prompt, std::size_t limit) {
  if (trim(prompt).empty()) return;
  history.erase(std::remove(history.begin(), history.end(), prompt), history.end());
  history.insert(history.begin(), prompt);
  if (history.size() > limit) history.resize(limit);
}

}  // namespace shape::studio
