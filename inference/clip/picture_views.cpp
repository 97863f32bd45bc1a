#include "inference/clip/picture_views.h"

#include <torch/torch.h>

namespace shape {

torch::Tensor embed_image_grid_over_views(ClipModel& clip, const std::vector<ImageU8>& images) {
  const int64_t resolution = clip->config().image_resolution;
  const int64_t side = clip->config().grid_size();
  std::vector<ImageU8> crops;
  crops.reserve(images.size());
  for (const auto& image : images) crops.push_back(centre_crop(image, kPictureViewCropShare));

  const auto pictures = clip_image_batch(images, resolution);  // [N, 3, R, R]
  const auto grid = clip->embed_image_grid(pictures);
  // Mirrored after preprocessing: the same as before it where CLIP's centre crop cuts evenly, a
  // pixel's shift where not. Patch (row, column) of one is patch (row, side - 1 - column) of the other.
  const auto mirrored = clip->embed_image_grid(pictures.flip({3}));
  const auto unmirrored = mirrored.view({mirrored.size(0), mirrored.size(1), side, side}).flip({3}).reshape_as(grid);
  const auto zoomed = clip->embed_image_grid(clip_image_batch(crops, resolution));
  return (grid + unmirrored + zoomed) / 3;
}

}  // namespace shape
