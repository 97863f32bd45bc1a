// A turntable: NeRF views all the way around a latent's object, written as a looping animated WebP
// (what the official notebooks show and what users share). The CLI's --turntable and the GUI's
// Export both call this.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>

#include "inference/pipeline/latent_decoder.h"

namespace shape {

inline constexpr int64_t kMinTurntableFrames = 2, kMaxTurntableFrames = 360;
inline constexpr int64_t kMinTurntableSize = 16, kMaxTurntableSize = 1024;

struct TurntableSettings {
  int64_t frames = 24;  // per turn, kMinTurntableFrames..kMaxTurntableFrames
  int64_t size = 128;   // pixels per side, kMinTurntableSize..kMaxTurntableSize
  uint64_t seed = 0;    // ray-sample draws (frame k uses seed + k)
  RenderSettings render;  // sample caps and background; the renderer's fast path is always on
};

struct TurntableSummary {
  int64_t frames = 0;
  int64_t size = 0;
  uintmax_t bytes = 0;
};

// Renders the frames (create_turntable_cameras) and writes them atomically to `path`.
// `on_frame(k, n)` is called before frame k of n; once `cancel` is set the render stops with
// RenderCancelled and nothing is written. Throws ExportError for a path that cannot be written.
TurntableSummary write_turntable(const LatentDecoder& decoder, const Latent& latent, const TurntableSettings& settings,
                                 const std::filesystem::path& path,
                                 const std::function<void(int64_t, int64_t)>& on_frame = {},
                                 const std::atomic<bool>* cancel = nullptr);

// "wrote PATH: 24 frames of 128x128, 61.2 kB".
std::string describe_turntable(const std::filesystem::path& path, const TurntableSummary& summary);

}  // namespace shape
