// shape-studio run headless under Xvfb through its test hooks: a generation with the golden small
// models ends with a NeRF image and a mesh on screen, no validation messages, and a readable export.
// Skips without a DISPLAY (the suite runs under xvfb-run -a -s '-screen 0 1280x800x24').
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "inference/clip/image_file.h"
#include "gui/settings_store.h"
#include "inference/export/mesh_import.h"
#include "inference/pipeline/model_folder.h"
#include "inference/training/primitive_images.h"
#include "inference/training/primitives.h"
#include "tests/app/app_test_support.h"
#include "tests/app/studio_process.h"

namespace shape {
namespace {

namespace fs = std::filesystem;

testing::CommandResult run_studio(const std::string& arguments) {
  return testing::run_shell(testing::shell_quoted(SHAPE_STUDIO_PATH) + " " + arguments);
}

std::string golden_text_models() { return testing::golden_model_arguments("text"); }
std::string golden_image_models() { return testing::golden_model_arguments("image"); }

struct Rect {
  int x = 0, y = 0, width = 0, height = 0;
};

// The app prints "views: image X Y W H mesh X Y W H" before its screenshot.
bool parse_views(const std::string& output, Rect& image, Rect& mesh) {
  const auto at = output.find("views: ");
  return at != std::string::npos &&
         std::sscanf(output.c_str() + at, "views: image %d %d %d %d mesh %d %d %d %d", &image.x, &image.y, &image.width,
                     &image.height, &mesh.x, &mesh.y, &mesh.width, &mesh.height) == 8;
}

// Pixels of `rect` farther than `tolerance` (any channel) from `reference`, as a fraction.
double fraction_differing(const ImageU8& shot, const Rect& rect, const uint8_t reference[3], int tolerance) {
  size_t differing = 0, total = 0;
  for (int y = rect.y; y < rect.y + rect.height && y < shot.height; ++y) {
    for (int x = rect.x; x < rect.x + rect.width && x < shot.width; ++x) {
      ++total;
      for (int c = 0; c < 3; ++c) {
        if (std::abs(shot.at(y, x, c) - reference[c]) > tolerance) {
          ++differing;
          break;
        }
      }
    }
  }
  return total ? static_cast<double>(differing) / static_cast<double>(total) : 0.0;
}

// Two screenshots differ in `rect`: the fraction of its pixels farther apart than `tolerance`.
double fraction_changed(const ImageU8& a, const ImageU8& b, const Rect& rect, int tolerance) {
  size_t changed = 0, total = 0;
  for (int y = rect.y; y < rect.y + rect.height && y < a.height && y < b.height; ++y) {
    for (int x = rect.x; x < rect.x + rect.width && x < a.width && x < b.width; ++x) {
      ++total;
      for (int c = 0; c < 3; ++c) {
        if (std::abs(a.at(y, x, c) - b.at(y, x, c)) > tolerance) {
          ++changed;
          break;
        }
      }
    }
  }
  return total ? static_cast<double>(changed) / static_cast<double>(total) : 0.0;
}

// The last "trace: <what> X Y W H" line's rectangle (the app traces widgets and views as they move).
bool last_traced_rect(const std::string& output, const std::string& what, Rect& rect) {
  const auto at = output.rfind("trace: " + what + " ");
  return at != std::string::npos &&
         std::sscanf(output.c_str() + at + 8 + what.size(), "%d %d %d %d", &rect.x, &rect.y, &rect.width,
                     &rect.height) == 4;
}

std::string centre_of(const Rect& rect) {
  return std::to_string(rect.x + rect.width / 2) + " " + std::to_string(rect.y + rect.height / 2);
}

void pause_for(int milliseconds) { std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds)); }

class Gui : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::getenv("DISPLAY")) GTEST_SKIP() << "no DISPLAY (run under xvfb-run)";
    dir_ = fs::temp_directory_path() /
           ("shape_gui_test_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // Each test gets its own settings folder: no saved settings leak between runs or from the user.
    ::setenv("SHAPE_STUDIO_CONFIG_DIR", path("config").c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("SHAPE_STUDIO_CONFIG_DIR");
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // " --cache-dir D" for an empty download cache: no official weights, as on a fresh install.
  std::string empty_cache() const {
    fs::create_directories(dir_ / "empty_cache");
    return " --cache-dir " + path("empty_cache");
  }
  fs::path dir_;
};

TEST_F(Gui, GeneratesShowsNerfAndMeshExportsAndStaysValidationClean) {
  const auto result = run_studio("--prompt 'a red chair' --generate --exit-after-job --steps 3 --grid 32 --window 1280x720"
                                 " --strict-validation --screenshot " + path("shot.png") + " --export " + path("chair.glb") +
                                 golden_text_models());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("validation messages: 0"), std::string::npos) << result.output;
  Rect image_view, mesh_view;
  ASSERT_TRUE(parse_views(result.output, image_view, mesh_view)) << result.output;
  const ImageU8 shot = load_image_file(path("shot.png"));
  EXPECT_EQ(shot.width, 1280);
  EXPECT_EQ(shot.height, 720);

  // The NeRF half shows an image, not one flat colour.
  const uint8_t first[3] = {shot.at(image_view.y + image_view.height / 2, image_view.x + 2, 0),
                            shot.at(image_view.y + image_view.height / 2, image_view.x + 2, 1),
                            shot.at(image_view.y + image_view.height / 2, image_view.x + 2, 2)};
  EXPECT_GT(fraction_differing(shot, image_view, first, 24), 0.05);
  // The mesh half is not just the clear colour (0.11, 0.11, 0.12).
  const uint8_t clear[3] = {28, 28, 31};
  EXPECT_GT(fraction_differing(shot, mesh_view, clear, 8), 0.05);

  EXPECT_GT(read_gltf(path("chair.glb")).triangles.size(), 10u);
}

TEST_F(Gui, PreviewChangesFromStepToStep) {
  const auto result = run_studio("--prompt 'a red chair' --generate --exit-after-job --steps 4 --grid 16 --view nerf"
                                 " --preview-size 48 --window 900x600 --strict-validation --screenshot " + path("end.png") +
                                 " --screenshot-at-step 1:" + path("step1.png") + " --screenshot-at-step 4:" +
                                 path("step4.png") + golden_text_models());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("validation messages: 0"), std::string::npos) << result.output;
  Rect image_view, mesh_view;
  ASSERT_TRUE(parse_views(result.output, image_view, mesh_view)) << result.output;
  const ImageU8 first = load_image_file(path("step1.png"));
  const ImageU8 fourth = load_image_file(path("step4.png"));
  // The object forms: the NeRF view is not the same picture at step 1 and step 4.
  EXPECT_GT(fraction_changed(first, fourth, image_view, 24), 0.05);
  const uint8_t corner[3] = {first.at(image_view.y + image_view.height / 2, image_view.x + 2, 0),
                             first.at(image_view.y + image_view.height / 2, image_view.x + 2, 1),
                             first.at(image_view.y + image_view.height / 2, image_view.x + 2, 2)};
  EXPECT_GT(fraction_differing(first, image_view, corner, 24), 0.05);  // step 1 already shows something
}

// Pixels of `rect` that are clearly red (red well above green and blue), as a fraction.
double fraction_red(const ImageU8& shot, const Rect& rect) {
  size_t red = 0, total = 0;
  for (int y = rect.y; y < rect.y + rect.height && y < shot.height; ++y) {
    for (int x = rect.x; x < rect.x + rect.width && x < shot.width; ++x) {
      ++total;
      const int r = shot.at(y, x, 0), g = shot.at(y, x, 1), b = shot.at(y, x, 2);
      red += (r > 90 && r > g + 50 && r > b + 50) ? 1 : 0;
    }
  }
  return total ? static_cast<double>(red) / static_cast<double>(total) : 0.0;
}

// The box around the clearly red pixels of `rect`, in `rect`'s pixels; empty when there are none.
Rect red_bounds(const ImageU8& shot, const Rect& rect) {
  int left = rect.width, top = rect.height, right = -1, bottom = -1;
  for (int y = rect.y; y < rect.y + rect.height && y < shot.height; ++y) {
    for (int x = rect.x; x < rect.x + rect.width && x < shot.width; ++x) {
      const int r = shot.at(y, x, 0), g = shot.at(y, x, 1), b = shot.at(y, x, 2);
      if (!(r > 90 && r > g + 50 && r > b + 50)) continue;
      left = std::min(left, x - rect.x), right = std::max(right, x - rect.x);
      top = std::min(top, y - rect.y), bottom = std::max(bottom, y - rect.y);
    }
  }
  return right < 0 ? Rect{} : Rect{left, top, right - left + 1, bottom - top + 1};
}

// The object fits its pane: a margin of at least `margin` of the pane's width (height) on each side.
void expect_fits(const Rect& object, const Rect& pane, double margin) {
  ASSERT_GT(object.width, 0) << "nothing red in the pane";
  EXPECT_GE(object.x, margin * pane.width);
  EXPECT_GE(object.y, margin * pane.height);
  EXPECT_LE(object.x + object.width, (1.0 - margin) * pane.width);
  EXPECT_LE(object.y + object.height, (1.0 - margin) * pane.height);
  // Framed, not lost in the pane: the object spans at least half of the narrower direction.
  EXPECT_GE(std::max(static_cast<double>(object.width) / pane.width, static_cast<double>(object.height) / pane.height),
            0.5);
}

// With no downloads at all, the built-in demo model stands in: "a red cube" forms in the live preview
// and ends as a red mesh, and the window says which model made it. (No --guidance: the demo model's
// recommended guidance replaces Shap-E's 15 by itself.)
TEST_F(Gui, DemoModelFormsARedCubeWithNoDownloads) {
  const auto result = run_studio("--prompt 'a red cube' --generate --exit-after-job --steps 16 --grid 48 --view split"
                                 " --preview-size 64 --window 1000x640 --strict-validation" +
                                 empty_cache() + " --screenshot " + path("end.png") + " --screenshot-at-step 12:" +
                                 path("step12.png"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("the built-in demo model stands in"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("validation messages: 0"), std::string::npos) << result.output;
  Rect image_view, mesh_view;
  ASSERT_TRUE(parse_views(result.output, image_view, mesh_view)) << result.output;
  // From step 12 on the NeRF preview shows a red object (the final preview, if the previews' time
  // budget skipped the steps between); at the end the mesh view is red too.
  EXPECT_GT(fraction_red(load_image_file(path("step12.png")), image_view), 0.03);
  const ImageU8 end = load_image_file(path("end.png"));
  EXPECT_GT(fraction_red(end, image_view), 0.03);
  EXPECT_GT(fraction_red(end, mesh_view), 0.03);
  // Both panes frame the whole cube with a margin (it used to overflow them left and right).
  expect_fits(red_bounds(end, image_view), image_view, 0.03);
  expect_fits(red_bounds(end, mesh_view), mesh_view, 0.03);
}

// The width of the red object's left and right silhouette edges (from 10% to 90% of the way from the
// background to the object), averaged over the rows through the middle half of the object, as a
// fraction of the object's width: independent of the pane's size and of the framing.
double relative_edge_width(const ImageU8& shot, const Rect& pane) {
  const Rect object = red_bounds(shot, pane);
  const auto redness = [&](int x, int y) {
    return static_cast<double>(shot.at(y, x, 0)) - 0.5 * (shot.at(y, x, 1) + shot.at(y, x, 2));
  };
  double total = 0.0;
  int edges = 0;
  for (int y = pane.y + object.y + object.height / 4; y < pane.y + object.y + 3 * object.height / 4; ++y) {
    const int centre = pane.x + object.x + object.width / 2;
    const double background = redness(pane.x + 2, y), inside = redness(centre, y);
    const double low = background + 0.1 * (inside - background), high = background + 0.9 * (inside - background);
    for (const int step : {-1, 1}) {  // from the centre outwards, to the left then to the right
      int x = centre, last_high = centre;
      while (x > pane.x && x < pane.x + pane.width - 1 && redness(x, y) > low) {
        if (redness(x, y) >= high) last_high = x;
        x += step;
      }
      total += std::abs(x - last_high) - 1;  // the pixels strictly between the object and the background
      ++edges;
    }
  }
  return edges && object.width ? total / edges / object.width : 0.0;
}

// When the camera rests, the NeRF view sharpens from the preview's rows to the pane's own pixels.
// The demo model's density falls off softly, so even then its edges are not one pixel wide: they
// span a fixed share of the object (rendered by shape-cli at 128 and 256 pixels, 6.2 and 12.2 pixel
// edges). The final preview, 16 rows stretched over the pane, blurs them well beyond that share.
TEST_F(Gui, StillNerfViewSharpensToThePaneResolution) {
  const auto result = run_studio("--prompt 'a red cube' --generate --exit-after-job --wait-until-sharp --steps 16"
                                 " --grid 32 --view nerf --preview-size 16 --window 640x420 --trace" +
                                 empty_cache() + " --screenshot " + path("sharp.png") + " --screenshot-at-step 16:" +
                                 path("preview.png"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  Rect image_view, mesh_view;
  ASSERT_TRUE(parse_views(result.output, image_view, mesh_view)) << result.output;
  EXPECT_NE(result.output.find("nerf view sharp at height " + std::to_string(image_view.height)), std::string::npos)
      << result.output;
  const double preview = relative_edge_width(load_image_file(path("preview.png")), image_view);
  const double sharp = relative_edge_width(load_image_file(path("sharp.png")), image_view);
  std::printf("edge width / object width: preview %.3f, sharp %.3f\n", preview, sharp);
  EXPECT_LT(sharp, 0.08);  // 0.063 measured at 420 rows
  EXPECT_LT(sharp, 0.6 * preview);
}

// With no downloads at all, dropping a picture of a red cube (a photo-like render: close
// perspective, a floor and soft shadows, never seen in training) makes the built-in demo image
// model draw a red cube: the previews turn red and the exported mesh is judged a red cube by the
// primitives' geometric classifier.
TEST_F(Gui, DemoImageModelTurnsADroppedRedCubeIntoARedCube) {
  if (!demo_model_available(ConditioningMode::kImage)) {
    GTEST_SKIP() << demo_model_folder() << " holds no image model (see its README.md)";
  }
  testing::write_photo_like_red_cube(path("red_cube.png"));
  const auto result = run_studio("--drop " + path("red_cube.png") + " --generate --exit-after-job --grid 48 --view split"
                                 " --preview-size 64 --window 1000x640 --strict-validation" +
                                 empty_cache() + " --screenshot " + path("end.png") + " --export " +
                                 path("cube.glb"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("the built-in demo model stands in"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("validation messages: 0"), std::string::npos) << result.output;
  Rect image_view, mesh_view;
  ASSERT_TRUE(parse_views(result.output, image_view, mesh_view)) << result.output;
  const ImageU8 end = load_image_file(path("end.png"));
  EXPECT_GT(fraction_red(end, image_view), 0.03);
  EXPECT_GT(fraction_red(end, mesh_view), 0.03);
  const auto judged = training::classify_primitive(read_gltf(path("cube.glb")));
  EXPECT_EQ(training::primitive_name(judged.kind), "cube");
  EXPECT_EQ(training::primitive_colours()[static_cast<size_t>(judged.colour)].name, "red");
}

// A user session through the X server: type a prompt and press Enter, orbit by dragging, pick a
// sample from the thumbnail strip, resize the window, quit with Ctrl+Q.
TEST_F(Gui, XdotoolTypeGenerateDragPickResizeAndQuit) {
  if (testing::run_shell("command -v xdotool && command -v import && command -v Xvfb").exit_code != 0) {
    GTEST_SKIP() << "needs xdotool, ImageMagick's import and Xvfb (scripts/install-deps.sh)";
  }
  const testing::PrivateDisplay display;
  ASSERT_TRUE(display.started()) << "Xvfb did not start";
  testing::StudioProcess app(testing::shell_quoted(SHAPE_STUDIO_PATH) +
                                 " --trace --strict-validation --samples 2 --steps 2 --grid 16 --preview-size 48"
                                 " --window 1100x700" + golden_text_models(),
                             path("studio.log"));
  ASSERT_TRUE(app.started());
  ASSERT_NE(app.wait_for("trace: prompt field"), std::string::npos) << app.output();
  pause_for(500);  // the window is mapped and drawn
  Rect prompt;
  ASSERT_TRUE(last_traced_rect(app.output(), "prompt field", prompt)) << app.output();

  // Typing a prompt and pressing Enter generates.
  ASSERT_TRUE(testing::xdotool("mousemove " + centre_of(prompt) + " click 1"));
  pause_for(200);
  ASSERT_TRUE(testing::xdotool("type --delay 20 'a red chair'"));
  ASSERT_TRUE(testing::xdotool("key Return"));
  size_t at = app.wait_for("trace: event finished");
  ASSERT_NE(at, std::string::npos) << app.output();
  EXPECT_NE(app.output().find("trace: event step job"), std::string::npos);
  pause_for(500);
  ASSERT_TRUE(testing::screenshot_screen(path("before_drag.png")));

  // A left-drag on the NeRF view orbits: small renders while moving, the full size at rest.
  Rect image_view;
  ASSERT_TRUE(last_traced_rect(app.output(), "views image", image_view)) << app.output();
  const int x = image_view.x + image_view.width / 2, y = image_view.y + image_view.height / 2;
  ASSERT_TRUE(testing::xdotool("mousemove " + std::to_string(x) + " " + std::to_string(y) + " mousedown 1 sleep 0.1" +
                               " mousemove " + std::to_string(x + 60) + " " + std::to_string(y) + " sleep 0.1" +
                               " mousemove " + std::to_string(x + 140) + " " + std::to_string(y + 20) + " sleep 0.1 mouseup 1"));
  const size_t small = app.wait_for("trace: render request height 16", at);
  ASSERT_NE(small, std::string::npos) << app.output();
  const size_t full = app.wait_for("trace: render request height 48", small);
  ASSERT_NE(full, std::string::npos) << app.output();
  at = app.wait_for("x48", app.wait_for("trace: event rendered", full));
  ASSERT_NE(at, std::string::npos) << app.output();
  pause_for(500);
  ASSERT_TRUE(testing::screenshot_screen(path("after_drag.png")));
  EXPECT_GT(fraction_changed(load_image_file(path("before_drag.png")), load_image_file(path("after_drag.png")),
                             image_view, 24),
            0.05);

  // Clicking the second thumbnail shows that sample.
  Rect thumbnail;
  ASSERT_TRUE(last_traced_rect(app.output(), "thumbnail 1", thumbnail)) << app.output();
  ASSERT_TRUE(testing::xdotool("mousemove " + centre_of(thumbnail) + " click 1"));
  at = app.wait_for("trace: shown sample 1", at);
  ASSERT_NE(at, std::string::npos) << app.output();
  at = app.wait_for("trace: event rendered", at);
  ASSERT_NE(at, std::string::npos) << app.output();

  // A resize keeps rendering: a new layout and a fresh render for the new view.
  ASSERT_TRUE(testing::xdotool("search --name 'Shape Studio' windowsize %@ 900 600"));
  at = app.wait_for("trace: views image 340 0 278 600", at);
  ASSERT_NE(at, std::string::npos) << app.output();
  at = app.wait_for("trace: event rendered", at);
  ASSERT_NE(at, std::string::npos) << app.output();
  pause_for(500);
  ASSERT_TRUE(testing::screenshot_screen(path("resized.png")));
  const ImageU8 resized = load_image_file(path("resized.png"));
  const Rect small_view{340, 0, 278, 600};
  const uint8_t left[3] = {resized.at(300, 342, 0), resized.at(300, 342, 1), resized.at(300, 342, 2)};
  EXPECT_GT(fraction_differing(resized, small_view, left, 24), 0.05);

  // Xvfb runs no window manager: keys go to the window under the pointer, which the resize may have
  // left outside the window.
  ASSERT_TRUE(testing::xdotool("mousemove 100 300"));
  // A busy machine can drop a synthetic key between frames: ask again until the window hears it.
  for (int attempt = 0; attempt < 5 && app.wait_for("trace: quit asked", at, std::chrono::seconds(5)) == std::string::npos;
       ++attempt) {
    ASSERT_TRUE(testing::xdotool("key --delay 100 ctrl+q"));
  }
  EXPECT_EQ(app.wait_exit(), 0) << app.output();
  EXPECT_NE(app.output().find("validation messages: 0"), std::string::npos) << app.output();
}

TEST_F(Gui, OpensWithoutWeightsAndNamesTheMissingFiles) {
  const auto result = run_studio("--exit-after-job --strict-validation --no-demo" + empty_cache() +
                                 " --screenshot " + path("shot.png"));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("model files are not available"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("text_cond.pt"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("validation messages: 0"), std::string::npos) << result.output;
  EXPECT_TRUE(fs::exists(path("shot.png")));
}

TEST_F(Gui, DroppedImageBecomesTheConditionAndOtherFilesAreRefused) {
  // Anything but PNG/JPEG gets a clear message.
  std::ofstream(path("notes.txt")) << "hello";
  auto result = run_studio("--exit-after-job --drop " + path("notes.txt") + golden_text_models());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("drop a PNG, JPEG, WebP, BMP or GIF image"), std::string::npos) << result.output;

  // A PNG drives the image model.
  ImageU8 picture;
  picture.width = picture.height = 32;
  picture.channels = 3;
  picture.pixels.resize(32 * 32 * 3);
  for (size_t i = 0; i < picture.pixels.size(); ++i) picture.pixels[i] = static_cast<uint8_t>(i * 7);
  write_png_file(picture, path("ref.png"));
  result = run_studio("--drop " + path("ref.png") + " --generate --exit-after-job --steps 2 --grid 24" + golden_image_models());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("status: done"), std::string::npos) << result.output;
}

// Ctrl+V outside a text field pastes a picture: image data another program copied ("Copy image":
// xclip offers it as image/png; a large one comes in chunks), a copied file's path, and names what
// it cannot use.
TEST_F(Gui, CtrlVPastesCopiedImageDataOrACopiedFile) {
  if (testing::run_shell("command -v xdotool && command -v xclip && command -v Xvfb").exit_code != 0) {
    GTEST_SKIP() << "needs xdotool, xclip and Xvfb (scripts/install-deps.sh)";
  }
  const testing::PrivateDisplay display;
  ASSERT_TRUE(display.started()) << "Xvfb did not start";
  ImageU8 picture;
  picture.width = picture.height = 32;
  picture.channels = 3;
  picture.pixels.assign(32 * 32 * 3, 200);
  write_png_file(picture, path("copied.png"));
  // Over X's request size, so it comes in chunks (the INCR protocol): random pixels do not compress.
  ImageU8 noise;
  noise.width = noise.height = 600;
  noise.channels = 3;
  const auto random = torch::randint(256, {600 * 600 * 3}, torch::kUInt8).contiguous();
  noise.pixels.assign(random.data_ptr<uint8_t>(), random.data_ptr<uint8_t>() + random.numel());
  write_png_file(noise, path("large.png"));
  std::ofstream(path("broken.png")) << "\x89PNG\r\n\x1a\n but not a picture";
  testing::StudioProcess app(testing::shell_quoted(SHAPE_STUDIO_PATH) + " --trace --window 900x600" +
                                 golden_text_models(),
                             path("studio.log"));
  ASSERT_TRUE(app.started());
  ASSERT_NE(app.wait_for("trace: prompt field"), std::string::npos) << app.output();
  pause_for(500);
  ASSERT_TRUE(testing::xdotool("mousemove 600 300"));  // over the views: keys go to the window under the pointer
  size_t at = 0;
  // Puts `what` on the clipboard (xclip keeps serving it in the background), presses Ctrl+V until
  // the window answers with `status`, and returns where.
  auto paste = [&](const std::string& copy, const std::string& status) {
    EXPECT_EQ(testing::run_shell(copy + " >/dev/null 2>&1").exit_code, 0) << copy;
    size_t found = std::string::npos;
    for (int attempt = 0; attempt < 5 && found == std::string::npos; ++attempt) {
      EXPECT_TRUE(testing::xdotool("key --delay 100 ctrl+v"));
      found = app.wait_for("trace: status " + status, at, std::chrono::seconds(5));
    }
    EXPECT_NE(found, std::string::npos) << "no '" << status << "' after " << copy << "\n" << app.output();
    if (found != std::string::npos) at = found + 1;
  };
  paste("xclip -selection clipboard -t image/png -i " + testing::shell_quoted(path("copied.png")),
        "image condition: pasted png image");
  paste("printf %s " + testing::shell_quoted("file://" + path("copied.png")) + " | xclip -selection clipboard",
        "image condition: copied.png");
  paste("xclip -selection clipboard -t image/png -i " + testing::shell_quoted(path("large.png")),
        "image condition: pasted png image");
  paste("xclip -selection clipboard -t image/png -i " + testing::shell_quoted(path("broken.png")),
        "the pasted png image");
  paste("printf %s 'just some words' | xclip -selection clipboard", "cannot use just some words");
  for (int attempt = 0; attempt < 5 && app.wait_for("trace: quit asked", at, std::chrono::seconds(5)) == std::string::npos;
       ++attempt) {
    ASSERT_TRUE(testing::xdotool("key --delay 100 ctrl+q"));
  }
  EXPECT_EQ(app.wait_exit(), 0) << app.output();
}

TEST_F(Gui, FailedJobExitsNonZeroWithTheReason) {
  const auto result = run_studio("--prompt '   ' --generate --exit-after-job" + golden_text_models());
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("prompt is empty"), std::string::npos) << result.output;
}

TEST_F(Gui, SettingsAndPromptHistoryPersistAcrossRuns) {
  auto result = run_studio("--prompt 'a red chair' --generate --exit-after-job --sampler euler --steps 3 --grid 32"
                           " --seed 5 --view mesh --precision bf16" + golden_text_models());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("text models loaded, bf16"), std::string::npos) << result.output;
  auto load = studio::load_settings(path("config/settings.ini"));
  ASSERT_TRUE(load.loaded) << load.error;
  EXPECT_EQ(load.settings.precision, "bf16");
  EXPECT_EQ(load.settings.sampler_preset, studio::kCustomSamplerPreset);
  EXPECT_EQ(load.settings.sampler, "euler");
  EXPECT_EQ(load.settings.steps, 3);
  EXPECT_EQ(load.settings.seed, 5);
  EXPECT_EQ(load.settings.grid_size, 32);
  EXPECT_EQ(load.settings.view, "mesh");
  EXPECT_EQ(load.settings.history, (std::vector<std::string>{"a red chair"}));

  // A second run without those options starts from the saved ones and adds its prompt first.
  result = run_studio("--prompt 'a blue lamp' --generate --exit-after-job --grid 24" + golden_text_models());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  load = studio::load_settings(path("config/settings.ini"));
  ASSERT_TRUE(load.loaded) << load.error;
  EXPECT_EQ(load.settings.sampler, "euler");
  EXPECT_EQ(load.settings.steps, 3);
  EXPECT_EQ(load.settings.seed, 5);
  EXPECT_EQ(load.settings.view, "mesh");
  EXPECT_EQ(load.settings.precision, "bf16");
  EXPECT_NE(result.output.find("text models loaded, bf16"), std::string::npos) << result.output;
  EXPECT_EQ(load.settings.history, (std::vector<std::string>{"a blue lamp", "a red chair"}));
}

// The test hooks --drop and --export, and the image job's guidance, leave the user's saved export
// path, format and (text) guidance as they were.
TEST_F(Gui, TestHooksAndImageJobsKeepTheSavedSettings) {
  fs::create_directories(path("config"));
  std::ofstream(path("config/settings.ini")) << "export_path=mine.obj\nexport_format=obj\nguidance=7\n";
  ImageU8 picture;
  picture.width = picture.height = 32;
  picture.channels = 3;
  picture.pixels.assign(32 * 32 * 3, 200);
  write_png_file(picture, path("ref.png"));
  const auto result = run_studio("--drop " + path("ref.png") + " --generate --exit-after-job --steps 2 --grid 24 --export " +
                                 path("hook.glb") + golden_image_models());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(fs::exists(path("hook.glb")));
  const auto load = studio::load_settings(path("config/settings.ini"));
  ASSERT_TRUE(load.loaded) << load.error;
  EXPECT_EQ(load.settings.export_path, "mine.obj");
  EXPECT_EQ(load.settings.export_format, "obj");
  EXPECT_FLOAT_EQ(load.settings.guidance, 7.0f);
}

// Export's turntable (here through --export PATH.webp): an animated WebP of the result's NeRF.
TEST_F(Gui, ExportsATurntable) {
  const auto result = run_studio("--prompt 'a red chair' --generate --exit-after-job --steps 2 --grid 16 --export " +
                                 path("spin.webp") + " --turntable-frames 4 --turntable-size 32" + golden_text_models());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::ifstream in(path("spin.webp"), std::ios::binary);
  std::string head(64, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  EXPECT_EQ(head.substr(8, 4), "WEBP");
  EXPECT_NE(head.find("ANIM"), std::string::npos);
}

TEST_F(Gui, SavedCustomModelFilesThatAreGoneAreNamedNotFatal) {
  fs::create_directories(path("config"));
  std::ofstream(path("config/settings.ini")) << "transformer_config=/nonexistent/model.yaml\n"
                                                "transformer_weights=/nonexistent/model.pt\n"
                                                "decoder_config=" << testing::golden_file("e2e.decoder.yaml") << "\n";
  const auto result = run_studio("--exit-after-job --strict-validation" + empty_cache());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("diffusion config: no such file: /nonexistent/model.yaml"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("decoder config and decoder weights go together"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("validation messages: 0"), std::string::npos) << result.output;
  // Kept in the settings: the user fixes them in the Models panel.
  EXPECT_EQ(studio::load_settings(path("config/settings.ini")).settings.models[studio::ModelPath::TransformerConfig],
            "/nonexistent/model.yaml");
}

// fp16 needs CUDA: saved (say, from a GPU machine) and opened on a CPU it gives way to auto, said
// in the status, and the job still runs.
TEST_F(Gui, SavedFp16OnACpuFallsBackToAutoAndSaysSo) {
  fs::create_directories(path("config"));
  std::ofstream(path("config/settings.ini")) << "precision=fp16\n";
  const auto result = run_studio("--prompt 'a red chair' --generate --exit-after-job --steps 2 --grid 16 --trace" +
                                 golden_text_models());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("precision: fp16 needs a CUDA device; on a CPU use bf16 or fp32 (or auto); using auto"),
            std::string::npos) << result.output;
  EXPECT_NE(result.output.find("trace: precision " + describe_precision(PrecisionRequest::kAuto, "cpu")),
            std::string::npos) << result.output;
  EXPECT_EQ(studio::load_settings(path("config/settings.ini")).settings.precision, "auto");
}

TEST_F(Gui, CorruptSettingsAreIgnoredWithAMessage) {
  fs::create_directories(path("config"));
  std::ofstream(path("config/settings.ini"), std::ios::binary) << std::string("\x7f\x45LF\0\0garbage\nno equals\n", 23);
  const auto result = run_studio("--exit-after-job" + empty_cache());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("ignored the settings file"), std::string::npos) << result.output;
  // Rewritten with valid defaults on exit.
  const auto load = studio::load_settings(path("config/settings.ini"));
  EXPECT_TRUE(load.loaded) << load.error;
}

}  // namespace
}  // namespace shape
