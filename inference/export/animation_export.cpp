#include "inference/export/animation_export.h"

#include <webp/encode.h>
#include <webp/mux.h>

#include <memory>
#include <string>

#include "inference/export/file_io.h"

namespace shape {
namespace {

struct EncoderDeleter {
  void operator()(WebPAnimEncoder* encoder) const { WebPAnimEncoderDelete(encoder); }
};

struct PictureGuard {
  WebPPicture picture;
  PictureGuard() { WebPPictureInit(&picture); }
  ~PictureGuard() { WebPPictureFree(&picture); }
};

struct DataGuard {
  WebPData data;
  DataGuard() { WebPDataInit(&data); }
  ~DataGuard() { WebPDataClear(&data); }
};

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& reason) {
  throw ExportError("cannot write " + path.string() + ": " + reason);
}

}  // namespace

void write_animated_webp(const std::vector<ImageU8>& frames, const std::filesystem::path& path,
                         const AnimationOptions& options) {
  if (frames.empty()) fail(path, "no frames to animate");
  const ImageU8& first = frames.front();
  if (first.width <= 0 || first.height <= 0 || (first.channels != 3 && first.channels != 4)) {
    fail(path, "frames must be RGB or RGBA images of a positive size");
  }
  for (const auto& frame : frames) {
    if (frame.width != first.width || frame.height != first.height || frame.channels != first.channels ||
        frame.pixels.size() != static_cast<size_t>(frame.width) * frame.height * frame.channels) {
      fail(path, "the frames differ in size or channels");
    }
  }

  WebPAnimEncoderOptions encoder_options;
  if (!WebPAnimEncoderOptionsInit(&encoder_options)) fail(path, "libwebp version mismatch");
  encoder_options.anim_params.loop_count = 0;  // forever
  std::unique_ptr<WebPAnimEncoder, EncoderDeleter> encoder(
      WebPAnimEncoderNew(first.width, first.height, &encoder_options));
  if (!encoder) fail(path, "the WebP encoder could not be created");

  WebPConfig config;
  if (!WebPConfigInit(&config)) fail(path, "libwebp version mismatch");
  config.lossless = options.lossless ? 1 : 0;
  config.quality = options.quality;
  int timestamp = 0;
  for (const auto& frame : frames) {
    PictureGuard picture;
    picture.picture.use_argb = 1;
    picture.picture.width = frame.width;
    picture.picture.height = frame.height;
    const int stride = frame.width * frame.channels;
    const int imported = frame.channels == 3 ? WebPPictureImportRGB(&picture.picture, frame.pixels.data(), stride)
                                             : WebPPictureImportRGBA(&picture.picture, frame.pixels.data(), stride);
    if (!imported) fail(path, "out of memory for a frame");
    if (!WebPAnimEncoderAdd(encoder.get(), &picture.picture, timestamp, &config)) {
      fail(path, std::string("the WebP encoder failed: ") + WebPAnimEncoderGetError(encoder.get()));
    }
    timestamp += options.frame_milliseconds;
  }
  WebPAnimEncoderAdd(encoder.get(), nullptr, timestamp, nullptr);  // the last frame's duration
  DataGuard data;
  if (!WebPAnimEncoderAssemble(encoder.get(), &data.data)) {
    fail(path, std::string("the WebP encoder failed: ") + WebPAnimEncoderGetError(encoder.get()));
  }
  write_files_atomically({{path, std::string(reinterpret_cast<const char*>(data.data.bytes), data.data.size)}});
}

}  // namespace shape
