// Random flips, zooms and shifts of training pictures. The demo vision tower (a 3-layer ViT on an
// 8 x 8 patch grid) learns its 8192 training pictures by heart without them: it named the kind of
// 99% of its own pictures and 73% of new renders of the same shapes. A picture's object, jittered,
// is still the same kind and colour, so the tower sees many more distinct inputs per shape.
#pragma once

#include <cstdint>

#include <torch/types.h>

namespace shape::training {

// `count` random jitters, as the affine maps grid_sample takes ([count, 2, 3] float, output pixel
// -> input pixel in [-1, 1] coordinates): each mirrors left-right half the time, zooms 0.9-1.1x
// and shifts up to 1/20 of the side in x and y, drawn from `generator`.
torch::Tensor draw_picture_jitter(int64_t count, at::Generator& generator);

// `pictures` [count, 3, R, R] (CLIP-normalised) through `jitter` [count, 2, 3]; where a picture
// is zoomed out or shifted, its edge pixels are extended (the backgrounds are plain or gradients).
torch::Tensor jitter_pictures(const torch::Tensor& pictures, const torch::Tensor& jitter);

}  // namespace shape::training
