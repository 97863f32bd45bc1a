// shape-studio's persisted settings and prompt history, without a window.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "gui/app_state.h"
#include "gui/settings_store.h"

namespace shape::studio {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("shape_settings_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

TEST(SettingsStore, RoundTripsEverySetting) {
  StudioSettings settings;
  settings.seed = 42;
  settings.sampler_preset = kCustomSamplerPreset;
  settings.sampler = "dpm++3m";
  settings.steps = 32;
  settings.guidance = 7.5f;
  settings.precision = "bf16";
  settings.grid_size = 96;
  settings.preview_size = 128;
  settings.view = "mesh";
  settings.wireframe = true;
  settings.background = "light";
  settings.export_path = "/tmp/out dir/a=b.ply";
  settings.export_format = "ply";
  settings.samples = 4;
  settings.history = {"a red chair", "a shark with\nnewline and back\\slash", "x=y"};
  const auto parsed = parse_settings(serialize_settings(settings));
  EXPECT_EQ(parsed, settings);
}

TEST(SettingsStore, SavesAtomicallyAndLoadsBack) {
  const fs::path dir = temp_dir("save");
  const fs::path file = dir / "nested" / "settings.ini";
  StudioSettings settings;
  settings.seed = 7;
  settings.history = {"a lamp"};
  save_settings(file, settings);
  EXPECT_TRUE(fs::exists(file));
  EXPECT_FALSE(fs::exists(file.string() + ".tmp"));
  const auto load = load_settings(file);
  EXPECT_TRUE(load.loaded);
  EXPECT_TRUE(load.error.empty());
  EXPECT_EQ(load.settings, settings);
  settings.seed = 8;
  save_settings(file, settings);  // replaces
  EXPECT_EQ(load_settings(file).settings.seed, 8);
  fs::remove_all(dir);
}

TEST(SettingsStore, MissingFileGivesDefaultsWithoutError) {
  const auto load = load_settings(temp_dir("missing") / "settings.ini");
  EXPECT_FALSE(load.loaded);
  EXPECT_TRUE(load.error.empty());
  EXPECT_EQ(load.settings, StudioSettings{});
}

TEST(SettingsStore, CorruptOrUnreadableFilesAreIgnoredWithAMessage) {
  const fs::path dir = temp_dir("corrupt");
  const std::string cases[] = {"seed=12\nthis line has no equals sign\n", "steps=many\n", "view=sideways\n",
                               std::string("seed=1\n\0\x01\x02", 10), "wireframe=maybe\n", "sampler=dpm2\n",
                               "sampler_preset=quick\n", "background=blue\n"};
  for (const auto& text : cases) {
    write(dir / "settings.ini", text);
    const auto load = load_settings(dir / "settings.ini");
    EXPECT_FALSE(load.loaded) << text;
    EXPECT_NE(load.error.find("ignored the settings file"), std::string::npos) << load.error;
    EXPECT_EQ(load.settings, StudioSettings{});
  }
  // A folder where the file should be.
  fs::create_directories(dir / "folder.ini");
  EXPECT_FALSE(load_settings(dir / "folder.ini").error.empty());
  fs::remove_all(dir);
}

TEST(SettingsStore, ClampsValuesAndIgnoresUnknownKeysAndComments) {
  const auto s = parse_settings("# comment\n\nseed=-5\nsteps=100000\nguidance=99\nfuture_key=1\nsamples=50\n");
  EXPECT_EQ(s.seed, 0);
  EXPECT_EQ(s.steps, 256);
  EXPECT_FLOAT_EQ(s.guidance, 30.0f);
  EXPECT_EQ(s.samples, 8);
}

TEST(SettingsStore, BadSamplerNamesAreNamedWithTheChoices) {
  try {
    parse_settings("seed=1\nsampler=dpm2\n");
    ADD_FAILURE() << "accepted an unknown sampler";
  } catch (const SettingsError& error) {
    EXPECT_STREQ(error.what(), "settings line 2: unknown sampler 'dpm2' (choose heun, dpm++2m, dpm++3m or euler)");
  }
  try {
    parse_settings("sampler_preset=quick\n");
    ADD_FAILURE() << "accepted an unknown preset";
  } catch (const SettingsError& error) {
    EXPECT_STREQ(error.what(), "settings line 1: sampler_preset must be custom, official or fast");
  }
}

TEST(SettingsStore, PrecisionIsAutoByDefaultAndABadOneIsNamed) {
  EXPECT_EQ(parse_settings("seed=1\n").precision, "auto");
  EXPECT_EQ(parse_settings("precision=fp32\n").precision, "fp32");
  try {
    parse_settings("seed=1\nprecision=int8\n");
    ADD_FAILURE() << "accepted an unknown precision";
  } catch (const SettingsError& error) {
    EXPECT_STREQ(error.what(), "settings line 2: precision must be auto, fp32, bf16 or fp16, got 'int8'");
  }
  AppState state;
  apply_settings(state, parse_settings("precision=bf16\n"));
  EXPECT_EQ(state.precision, PrecisionRequest::kBFloat16);
  EXPECT_EQ(settings_from_state(state).precision, "bf16");
}

// Files written before sampler presets hold Heun steps only: 64 is the Official preset, others Custom.
TEST(SettingsStore, FilesFromBeforePresetsKeepTheirSteps) {
  EXPECT_EQ(parse_settings("steps=64\n").sampler_preset, "official");
  const auto custom = parse_settings("seed=3\nsteps=32\n");
  EXPECT_EQ(custom.sampler_preset, kCustomSamplerPreset);
  EXPECT_EQ(custom.sampler, "heun");
  EXPECT_EQ(custom.steps, 32);
  EXPECT_EQ(parse_settings("sampler_preset=fast\nsteps=32\n").sampler_preset, "fast");
}

TEST(SettingsStore, SamplerPresetsReachTheRequestAndPersist) {
  AppState state;
  EXPECT_EQ(state.sampler_choice(), preset_choice(kDefaultSamplerPreset));
  choose_sampler_preset(state, SamplerPreset::kFast);
  const auto fast = preset_choice(SamplerPreset::kFast);
  EXPECT_EQ(make_request(state).settings.sampler, fast.sampler);
  EXPECT_EQ(make_request(state).settings.steps, fast.steps);

  choose_sampler_preset(state, std::nullopt);  // Custom starts from what was in use
  EXPECT_EQ(state.sampler_choice(), fast);
  state.sampler = SamplerKind::kEuler;
  state.steps = 10;
  EXPECT_EQ(make_request(state).settings.sampler, SamplerKind::kEuler);
  EXPECT_EQ(make_request(state).settings.steps, 10);

  AppState restored;
  apply_settings(restored, parse_settings(serialize_settings(settings_from_state(state))));
  EXPECT_FALSE(restored.sampler_preset.has_value());
  EXPECT_EQ(restored.sampler_choice(), (SamplerChoice{SamplerKind::kEuler, 10}));

  // A preset keeps the custom choice for when Custom is picked again.
  choose_sampler_preset(state, SamplerPreset::kOfficial);
  apply_settings(restored, parse_settings(serialize_settings(settings_from_state(state))));
  EXPECT_EQ(restored.sampler_preset, SamplerPreset::kOfficial);
  EXPECT_EQ(restored.sampler_choice(), preset_choice(SamplerPreset::kOfficial));
  EXPECT_EQ(restored.sampler, SamplerKind::kEuler);
  EXPECT_EQ(restored.steps, 10);
}

TEST(SettingsStore, HistoryIsMostRecentFirstWithoutDuplicatesAndBounded) {
  std::vector<std::string> history;
  add_to_history(history, "a");
  add_to_history(history, "b");
  add_to_history(history, "a");
  add_to_history(history, "   ");
  EXPECT_EQ(history, (std::vector<std::string>{"a", "b"}));
  for (int i = 0; i < 30; ++i) add_to_history(history, "p" + std::to_string(i));
  ASSERT_EQ(history.size(), kMaxPromptHistory);
  EXPECT_EQ(history.front(), "p29");
  EXPECT_EQ(history.back(), "p10");
}

TEST(SettingsStore, DirectoryFollowsTheEnvironment) {
  const char* saved = std::getenv("SHAPE_STUDIO_CONFIG_DIR");
  const std::string saved_value = saved ? saved : "";
  const char* saved_xdg = std::getenv("XDG_CONFIG_HOME");
  const std::string saved_xdg_value = saved_xdg ? saved_xdg : "";
  ::setenv("SHAPE_STUDIO_CONFIG_DIR", "/tmp/override", 1);
  EXPECT_EQ(settings_file_path(), fs::path("/tmp/override/settings.ini"));
  ::unsetenv("SHAPE_STUDIO_CONFIG_DIR");
  ::setenv("XDG_CONFIG_HOME", "/tmp/xdg", 1);
  EXPECT_EQ(settings_directory(), fs::path("/tmp/xdg/shape-studio"));
  ::unsetenv("XDG_CONFIG_HOME");
  if (const char* home = std::getenv("HOME")) {
    EXPECT_EQ(settings_directory(), fs::path(home) / ".config" / "shape-studio");
  }
  if (saved) ::setenv("SHAPE_STUDIO_CONFIG_DIR", saved_value.c_str(), 1);
  if (saved_xdg) ::setenv("XDG_CONFIG_HOME", saved_xdg_value.c_str(), 1);
}

TEST(SettingsStore, AppStateRoundTripAndPromptHistory) {
  AppState state;
  state.seed = 3;
  state.steps = 12;
  state.guidance = 4.0f;
  state.grid_size = 64;
  state.preview_size = 96;
  state.view = render::ViewMode::ImageOnly;
  state.wireframe = true;
  state.set_export_path("out.obj");
  state.export_format = 3;
  state.samples = 3;
  state.set_prompt("a chair");
  remember_prompt(state);
  state.set_prompt("a table");
  remember_prompt(state);
  state.set_prompt("a chair");
  remember_prompt(state);
  EXPECT_EQ(state.history, (std::vector<std::string>{"a chair", "a table"}));

  const StudioSettings settings = settings_from_state(state);
  EXPECT_EQ(settings.view, "nerf");
  EXPECT_EQ(settings.export_format, "obj");
  AppState restored;
  apply_settings(restored, parse_settings(serialize_settings(settings)));
  EXPECT_EQ(restored.seed, 3);
  EXPECT_EQ(restored.steps, 12);
  EXPECT_FLOAT_EQ(restored.guidance, 4.0f);
  EXPECT_EQ(restored.grid_size, 64);
  EXPECT_EQ(restored.preview_size, 96);
  EXPECT_EQ(restored.view, render::ViewMode::ImageOnly);
  EXPECT_TRUE(restored.wireframe);
  EXPECT_STREQ(restored.export_path.data(), "out.obj");
  EXPECT_EQ(restored.export_format, 3);
  EXPECT_EQ(restored.samples, 3);
  EXPECT_EQ(restored.history, state.history);
  EXPECT_EQ(settings_from_state(restored), settings);
}

// The demo model recommends guidance 3: it replaces the default until the user picks one, is not
// what gets saved, and gives way again when a model without a recommendation loads.
TEST(SettingsStore, RecommendedGuidanceIsShownButTheUsersGuidanceIsKept) {
  AppState state;
  state.guidance = 15.0f;
  WorkerEvent ready;
  ready.kind = WorkerEventKind::ModelsReady;
  ready.message = "text models loaded (the demo model)";
  ready.recommended_guidance = GuidanceRecommendation{3.0};
  apply_event(state, ready);
  EXPECT_EQ(state.guidance, 3.0f);
  EXPECT_NE(state.status.find("guidance 3, as this model recommends"), std::string::npos) << state.status;
  EXPECT_TRUE(make_request(state).use_recommended_guidance);
  EXPECT_EQ(settings_from_state(state).guidance, 15.0f);
  EXPECT_TRUE(state.guidance_late_note.empty());

  // A late scale is shown beside the slider's value while the recommendation is in use.
  WorkerEvent late = ready;
  late.recommended_guidance = GuidanceRecommendation{4.0, 3.0, 1.0};
  apply_event(state, late);
  EXPECT_EQ(state.guidance, 4.0f);
  EXPECT_EQ(state.guidance_late_note, "then none below sigma 3");
  EXPECT_NE(state.status.find("guidance 4, then none below sigma 3, as this model recommends"), std::string::npos)
      << state.status;

  WorkerEvent official = ready;
  official.recommended_guidance.reset();
  apply_event(state, official);
  EXPECT_EQ(state.guidance, 15.0f);
  EXPECT_TRUE(state.guidance_late_note.empty());

  AppState chosen;
  chosen.guidance = 7.0f;
  chosen.guidance_chosen = true;
  apply_event(chosen, ready);
  EXPECT_EQ(chosen.guidance, 7.0f);
  EXPECT_FALSE(make_request(chosen).use_recommended_guidance);
  EXPECT_EQ(settings_from_state(chosen).guidance, 7.0f);
}

TEST(SettingsStore, SamplesMakeOneConditionEachAndSelectionPicksTheMesh) {
  AppState state;
  state.set_prompt("a cup");
  state.samples = 3;
  EXPECT_EQ(make_request(state).conditions.size(), 3u);

  state.job = 5;
  WorkerEvent ready;
  ready.kind = WorkerEventKind::SamplesReady;
  ready.job = 5;
  ready.latents.resize(3);
  apply_event(state, ready);
  ASSERT_EQ(state.sample_meshes.size(), 3u);
  WorkerEvent mesh;
  mesh.kind = WorkerEventKind::MeshReady;
  mesh.job = 5;
  mesh.sample = 2;
  mesh.mesh.positions.resize(3);
  mesh.mesh.triangles.push_back({0, 1, 2});
  apply_event(state, mesh);
  EXPECT_TRUE(state.mesh.empty());  // sample 0 is shown
  EXPECT_TRUE(select_sample(state, 2));
  EXPECT_EQ(state.shown_sample, 2u);
  EXPECT_EQ(state.mesh.triangles.size(), 1u);
  EXPECT_TRUE(state.mesh_changed);
  EXPECT_FALSE(select_sample(state, 3));
  EXPECT_EQ(make_request(state).preview_sample, 2u);
}

}  // namespace
}  // namespace shape::studio
