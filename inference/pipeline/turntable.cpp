#include "inference/pipeline/turntable.h"

#include <cstdio>
#include <string>
#include <vector>

#include "inference/decoder/camera.h"
#include "inference/export/animation_export.h"

namespace shape {

TurntableSummary write_turntable(const LatentDecoder& decoder, const Latent& latent, const TurntableSettings& settings,
                                 const std::filesystem::path& path,
                                 const std::function<void(int64_t, int64_t)>& on_frame,
                                 const std::atomic<bool>* cancel) {
  const auto cameras = create_turntable_cameras(settings.size, settings.frames);
  std::vector<ImageU8> frames;
  for (size_t frame = 0; frame < cameras.size(); ++frame) {
    if (cancel && cancel->load()) throw RenderCancelled();
    if (on_frame) on_frame(static_cast<int64_t>(frame), static_cast<int64_t>(cameras.size()));
    RenderSettings render = settings.render;
    render.seed = settings.seed + frame;
    render.skip_empty_space = true;
    render.cancel = cancel;
    frames.push_back(decoder.render_nerf(latent, cameras[frame], render));
  }
  write_animated_webp(frames, path);
  return {static_cast<int64_t>(frames.size()), settings.size, std::filesystem::file_size(path)};
}

std::string describe_turntable(const std::filesystem::path& path, const TurntableSummary& summary) {
  char text[96];
  std::snprintf(text, sizeof text, ": %lld frames of %lldx%lld, %.1f kB", static_cast<long long>(summary.frames),
                static_cast<long long>(summary.size), static_cast<long long>(summary.size),
                static_cast<double>(summary.bytes) / 1000.0);
  return "wrote " + path.string() + text;
}

}  // namespace shape
