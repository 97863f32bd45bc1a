// A picture's patch grid averaged over its three views (clip/picture_views.h), and the centre crop
// the zoomed view is cut with.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "clip_test_models.h"
#include "inference/clip/picture_views.h"

namespace shape {
namespace {

using testing::golden_clip;

// Colour from position, so every crop and mirror image differs from the picture.
ImageU8 gradient(int width, int height) {
  ImageU8 image{width, height, 3, {}};
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.pixels.push_back(static_cast<uint8_t>(x * 255 / width));
      image.pixels.push_back(static_cast<uint8_t>(y * 255 / height));
      image.pixels.push_back(static_cast<uint8_t>((x * 7 + y * 3) % 256));
    }
  }
  return image;
}

ImageU8 mirrored(const ImageU8& image) {
  ImageU8 mirror = image;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      for (int c = 0; c < image.channels; ++c) {
        mirror.pixels[(static_cast<size_t>(y) * image.width + x) * image.channels + c] =
            image.at(y, image.width - 1 - x, c);
      }
    }
  }
  return mirror;
}

TEST(CentreCrop, KeepsTheMiddleShareOfEachSide) {
  const ImageU8 image = gradient(21, 10);
  const ImageU8 crop = centre_crop(image, 0.9);
  ASSERT_EQ(crop.width, 19);  // round(18.9)
  ASSERT_EQ(crop.height, 9);
  EXPECT_EQ(crop.channels, 3);
  for (int y = 0; y < crop.height; ++y) {
    for (int x = 0; x < crop.width; ++x) {
      for (int c = 0; c < 3; ++c) ASSERT_EQ(crop.at(y, x, c), image.at(y, x + 1, c)) << y << " " << x;
    }
  }
  EXPECT_EQ(centre_crop(image, 1.0).pixels, image.pixels);
  const ImageU8 pixel = centre_crop(gradient(3, 3), 0.01);
  EXPECT_EQ(pixel.width, 1);
  EXPECT_EQ(pixel.at(0, 0, 0), gradient(3, 3).at(1, 1, 0));
  EXPECT_THROW(centre_crop(image, 0.0), ImageError);
  EXPECT_THROW(centre_crop(image, 1.5), ImageError);
  EXPECT_THROW(centre_crop(ImageU8{}, 0.9), ImageError);
}

// The mean of three grids: the picture's, its mirror image's with the tokens put back in place (the
// token of row r, column c read from row r, column side - 1 - c), and its middle 90%'s.
TEST(PictureViews, AverageThePicturesItsMirrorImagesPutBackAndItsMiddles) {
  torch::NoGradGuard no_grad;
  auto& clip = golden_clip();
  const int64_t resolution = clip->config().image_resolution, side = clip->config().grid_size();
  // Square pictures: CLIP's centre crop then cuts nothing, so mirroring commutes with it exactly.
  const std::vector<ImageU8> pictures = {gradient(48, 48), gradient(100, 100)};
  const auto averaged = embed_image_grid_over_views(clip, pictures);

  const auto grid = clip->embed_image_grid(clip_image_batch(pictures, resolution));
  ASSERT_EQ(averaged.sizes(), grid.sizes());
  EXPECT_EQ(averaged.scalar_type(), torch::kFloat32);
  const auto mirror_grid = clip->embed_image_grid(clip_image_batch({mirrored(pictures[0]), mirrored(pictures[1])}, resolution));
  auto put_back = torch::empty_like(mirror_grid);
  for (int64_t row = 0; row < side; ++row) {
    for (int64_t column = 0; column < side; ++column) {
      put_back.select(2, row * side + column).copy_(mirror_grid.select(2, row * side + side - 1 - column));
    }
  }
  const auto middle_grid = clip->embed_image_grid(clip_image_batch(
      {centre_crop(pictures[0], kPictureViewCropShare), centre_crop(pictures[1], kPictureViewCropShare)}, resolution));
  const auto expected = (grid + put_back + middle_grid) / 3;
  EXPECT_TRUE(torch::allclose(averaged, expected, 1e-4, 1e-5)) << (averaged - expected).abs().max().item<float>();
  // Each view counts: the mean is none of them.
  for (const auto& view : {grid, put_back, middle_grid}) EXPECT_FALSE(torch::allclose(averaged, view, 1e-3, 1e-3));
}

}  // namespace
}  // namespace shape
