// Starting a vision tower at a higher resolution from one trained at a lower one (the demo tower
// was trained at 64 px on an 8 x 8 patch grid, then widened to 128 px on 16 x 16). A tower at k
// times the resolution with k times the patch size keeps the grid (so the image model's condition
// tokens keep their shape) and sees k x k times the pixels of each patch; one with the same patch
// size has a k times finer grid, so a small object spans k x k times the patches (and stage 2,
// whose weights do not depend on the grid's size, reads k² times the condition tokens). Either way
// without starting its training over.
#pragma once

#include <cstdint>

#include "inference/checkpoint/state_dict.h"

namespace shape::training {

// `tower` (CLIP vision weights) with its patch kernel, visual.conv1.weight [width, 3, p, p],
// spread to `patch_size` = k * p: each k x k block of the new kernel holds the old weight / k², so
// the widened tower computes on a picture what the old one computed on that picture averaged down
// k x k. The other weights are shared, not copied. A kernel already of `patch_size` comes back as
// it is; a `patch_size` that is not a whole multiple of p throws a TrainingError.
StateDict widen_patch_kernels(const StateDict& tower, int64_t patch_size);

// `tower` with the patch tokens' positional embedding (visual.positional_embedding, the class
// token's row first, then a side x side grid) resampled bicubically to a `grid_side` x `grid_side`
// grid, as ViTs are fine-tuned at a higher resolution; the class token's row is kept. The other
// weights are shared, not copied; a tower already of that grid comes back as it is.
StateDict resample_patch_grid(const StateDict& tower, int64_t grid_side);

}  // namespace shape::training
