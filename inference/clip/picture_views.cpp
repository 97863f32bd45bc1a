#include "inference/clip/picture_views.h"

#include <torch/torch.h>

namespace shape {

torch::Tensor embed_image_grid_over_views(ClipModel& clip, const std::vector<ImageU8>& images) {
  const int64_t count = static_cast<int64_t>(images.size());
  const int64_t side = clip->config().grid_size();
  std::vector<ImageU8> pictures_and_middles = images;
  for (const auto& image : images) pictures_and_middles.push_back(centre_crop(image, kPictureViewCropShare));
  const auto preprocessed = clip_image_batch(pictures_and_middles, clip->config().image_resolution);
  const auto pictures = preprocessed.narrow(0, 0, count);
  // Mirrored after preprocessing: the same as before it where CLIP's centre crop cuts evenly, a
  // pixel's shift where not. All three views go through the tower as one batch.
  const auto grids = clip->embed_image_grid(torch::cat({pictures, pictures.flip({3}), preprocessed.narrow(0, count, count)}));
  const auto views = grids.view({3, count, grids.size(1), side, side});
  // Patch (row, column) of the mirror image is patch (row, side - 1 - column) of the picture.
  const auto unmirrored = views[1].flip({3});
  return ((views[0] + unmirrored + views[2]) / 3).reshape({count, grids.size(1), side * side});
}

}  // namespace shape
