// Turntable animations written as animated WebP, read back with libwebp's own decoder.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <webp/demux.h>

#include "checkpoint_test_util.h"
#include "inference/export/animation_export.h"

namespace shape {
namespace {

namespace fs = std::filesystem;

ImageU8 frame(int width, int height, uint8_t shade) {
  ImageU8 image;
  image.width = width;
  image.height = height;
  image.channels = 3;
  image.pixels.resize(static_cast<size_t>(width) * height * 3);
  for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = static_cast<uint8_t>(shade + (i % 3) * 40);
  return image;
}

struct DecodedAnimation {
  int width = 0, height = 0, frames = 0, loops = -1;
  std::vector<std::vector<uint8_t>> rgba;  // per frame, composited
  std::vector<int> timestamps;
};

DecodedAnimation decode(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  const std::string data = bytes.str();
  WebPData webp{reinterpret_cast<const uint8_t*>(data.data()), data.size()};
  WebPAnimDecoderOptions options;
  WebPAnimDecoderOptionsInit(&options);
  options.color_mode = MODE_RGBA;
  DecodedAnimation result;
  WebPAnimDecoder* decoder = WebPAnimDecoderNew(&webp, &options);
  if (!decoder) return result;
  WebPAnimInfo info;
  WebPAnimDecoderGetInfo(decoder, &info);
  result.width = static_cast<int>(info.canvas_width);
  result.height = static_cast<int>(info.canvas_height);
  result.frames = static_cast<int>(info.frame_count);
  result.loops = static_cast<int>(info.loop_count);
  while (WebPAnimDecoderHasMoreFrames(decoder)) {
    uint8_t* pixels = nullptr;
    int timestamp = 0;
    if (!WebPAnimDecoderGetNext(decoder, &pixels, &timestamp)) break;
    result.rgba.emplace_back(pixels, pixels + static_cast<size_t>(result.width) * result.height * 4);
    result.timestamps.push_back(timestamp);
  }
  WebPAnimDecoderDelete(decoder);
  return result;
}

// Frames come back in order, of the size written, looping forever at the frame duration asked for;
// lossless keeps every pixel.
TEST(AnimationExport, WritesALoopingAnimatedWebpThatReadsBack) {
  const checkpoint_test::TempDir temp;
  const fs::path& dir = temp.path();
  const std::vector<ImageU8> frames = {frame(24, 16, 10), frame(24, 16, 90), frame(24, 16, 170)};
  AnimationOptions options;
  options.lossless = true;
  options.frame_milliseconds = 50;
  write_animated_webp(frames, dir / "spin.webp", options);
  const auto decoded = decode(dir / "spin.webp");
  EXPECT_EQ(decoded.width, 24);
  EXPECT_EQ(decoded.height, 16);
  EXPECT_EQ(decoded.frames, 3);
  EXPECT_EQ(decoded.loops, 0);  // forever
  ASSERT_EQ(decoded.rgba.size(), 3u);
  EXPECT_EQ(decoded.timestamps, (std::vector<int>{50, 100, 150}));
  for (size_t f = 0; f < 3; ++f) {
    for (size_t p = 0; p < 24 * 16; ++p) {
      for (size_t c = 0; c < 3; ++c) ASSERT_EQ(decoded.rgba[f][p * 4 + c], frames[f].pixels[p * 3 + c]) << f << " " << p;
    }
  }
}

// No frames, mismatched frames or an unwritable destination: an ExportError naming the path, and an
// existing file is left as it was.
TEST(AnimationExport, BadFramesAndDestinationsAreNamedAndNothingIsLost) {
  const checkpoint_test::TempDir temp;
  const fs::path& dir = temp.path();
  std::ofstream(dir / "keep.webp") << "previous";
  auto message_of = [](auto&& write) -> std::string {
    try {
      write();
    } catch (const ExportError& error) {
      return error.what();
    }
    return "";
  };
  EXPECT_NE(message_of([&] { write_animated_webp({}, dir / "keep.webp"); }).find("no frames"), std::string::npos);
  EXPECT_NE(message_of([&] { write_animated_webp({frame(8, 8, 0), frame(9, 8, 0)}, dir / "keep.webp"); })
                .find("differ in size"),
            std::string::npos);
  const std::string missing = message_of([&] { write_animated_webp({frame(8, 8, 0)}, dir / "no/such/dir/a.webp"); });
  EXPECT_NE(missing.find((dir / "no/such/dir/a.webp").string()), std::string::npos) << missing;
  std::ifstream kept(dir / "keep.webp");
  std::string text;
  kept >> text;
  EXPECT_EQ(text, "previous");
}

}  // namespace
}  // namespace shape
