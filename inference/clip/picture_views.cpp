#include "inference/clip/picture_views.h"

#include <torch/torch.h>

namespace shape {

torch::Tensor embed_image_grid_over_views(ClipModel& clip, const std::vector<ImageU8>& images) {
  const int64_t count = static_cast<int64_t>(images.size());
  const int64_t side = clip->config().grid_size();
  const int64_t resolution = clip->config().image_resolution;
  std::vector<ImageU8> middles;  // cropped copies only; the pictures themselves are not copied
  middles.reserve(images.size());
  for (const auto& image : images) middles.push_back(centre_crop(image, kPictureViewCropShare));
  const auto pictures = clip_image_batch(images, resolution);
  // Mirrored after preprocessing: the same as before it where CLIP's centre crop cuts evenly, a
  // pixel's shift where not. All three views go through the tower as one batch.
  const auto grids =
      clip->embed_image_grid(torch::cat({pictures, pictures.flip({3}), clip_image_batch(middles, resolution)}));
  const auto views = grids.view({3, count, grids.size(1), side, side});
  // Patch (row, column) of the mirror image is patch (row, side - 1 - column) of the picture.
  const auto unmirrored = views[1].flip({3});
  return ((views[0] + unmirrored + views[2]) / 3).reshape({count, grids.size(1), side * side});
}

}  // namespace shape
