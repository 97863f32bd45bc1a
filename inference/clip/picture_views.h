// A picture's CLIP patch grid averaged over three views of it: the picture, its mirror image (whose
// grid is mirrored back, so each token keeps its place) and its central 90% (a 1.11x zoom). The demo
// image model trains on such flips and zooms (training/picture_jitter.h); a small object misread in
// one view counts for a third in the mean, so it draws more held-out pictures right from it.
#pragma once

#include <vector>

#include <torch/types.h>

#include "inference/clip/clip_model.h"
#include "inference/clip/image_u8.h"

namespace shape {

// The share of each side the zoomed view keeps.
inline constexpr double kPictureViewCropShare = 0.9;

// [N, width, tokens] float32, as ClipModelImpl::embed_image_grid, averaged over the three views.
torch::Tensor embed_image_grid_over_views(ClipModel& clip, const std::vector<ImageU8>& images);

}  // namespace shape
