// The training pictures of the image-conditioned stage 2, rendered once and cached on disk:
//   <folder>/manifest.txt    what they were made for: renderer version, shapes, seed, kind weights,
//                            views per shape (a folder made for other settings is an error)
//   <folder>/images.jsonl    one line per picture: its file, shape index, caption, kind, size, colour
//   <folder>/s000123-v2.png  shape 123 (primitive_training_specs' order), view 2
// Shape i is stage 2's training shape i, so picture and latent pair up by index.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "inference/training/primitives.h"
#include "inference/training/training_run.h"

namespace shape::training {

struct PrimitiveImageSetOptions {
  int64_t shapes = 1024;  // as make_primitive_dataset's count, seed and kind weights
  uint64_t seed = 0;
  PrimitiveKindWeights kind_weights;
  int64_t views_per_shape = 4;  // pictures of each shape, each from its own random kTraining view
};

struct PrimitiveImageEntry {
  std::filesystem::path file;
  int64_t shape = 0;
  std::string caption;
};

// Renders the pictures the folder lacks (an interrupted run picks up where it stopped) and returns
// every entry, shape after shape. Throws TrainingError when the folder was made for other options
// (naming its manifest and the setting that differs) or for bad options; ImageError when a picture
// cannot be written. Progress (rendered pictures) about a hundred times.
std::vector<PrimitiveImageEntry> render_primitive_image_set(const std::filesystem::path& folder,
                                                            const PrimitiveImageSetOptions& options,
                                                            const TrainingCallback& on_progress = nullptr);

}  // namespace shape::training
