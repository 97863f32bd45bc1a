// Turntable animations: frames (e.g. NeRF views around the object, as the official notebooks show
// them) written as an animated WebP through libwebp's WebPAnimEncoder: full colour, smaller than a
// GIF, played by browsers, Blender's image viewer and most chat apps.
#pragma once

#include <filesystem>
#include <vector>

#include "inference/clip/image_u8.h"
#include "inference/export/mesh_io_error.h"

namespace shape {

struct AnimationOptions {
  int frame_milliseconds = 80;  // how long each frame shows; the animation loops forever
  float quality = 90.0f;        // lossy quality 0..100
  bool lossless = false;
};

// Writes `frames` (all of one size, RGB or RGBA) to `path` atomically (a failed write leaves any
// existing file as it was). Throws ExportError naming the path and the reason: no frames, frames of
// different sizes or channel counts, an encoder failure, an unwritable destination.
void write_animated_webp(const std::vector<ImageU8>& frames, const std::filesystem::path& path,
                         const AnimationOptions& options = {});

}  // namespace shape
