#include <gtest/gtest.h>
#include <torch/torch.h>

#include "inference/training/picture_jitter.h"

namespace shape::training {
namespace {

torch::Tensor identity_jitter(int64_t count) {
  return torch::tensor({1.0f, 0.0f, 0.0f, 0.0f, 1.0f, 0.0f}).reshape({1, 2, 3}).repeat({count, 1, 1});
}

TEST(PictureJitter, DrawsFlipsZoomsAndShiftsInTheirRangesFromTheGenerator) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(7);
  const auto jitter = draw_picture_jitter(4096, generator);
  ASSERT_EQ(jitter.sizes(), (std::vector<int64_t>{4096, 2, 3}));
  const auto scale = jitter.select(1, 1).select(1, 1);
  const auto mirror = jitter.select(1, 0).select(1, 0) / scale;
  EXPECT_TRUE(torch::allclose(mirror.abs(), torch::ones_like(mirror)));
  EXPECT_NEAR((mirror < 0).to(torch::kFloat32).mean().item<float>(), 0.5f, 0.03f);
  EXPECT_GE(scale.min().item<float>(), 0.9f);
  EXPECT_LE(scale.max().item<float>(), 1.1f);
  for (int axis = 0; axis < 2; ++axis) {
    const auto shift = jitter.select(1, axis).select(1, 2);
    EXPECT_GE(shift.min().item<float>(), -0.1f);
    EXPECT_LE(shift.max().item<float>(), 0.1f);
    EXPECT_GT(shift.abs().max().item<float>(), 0.09f);
  }
  EXPECT_EQ(jitter.select(1, 0).select(1, 1).abs().max().item<float>(), 0.0f);  // no shear or rotation
  auto again = at::make_generator<at::CPUGeneratorImpl>(7);
  EXPECT_TRUE(torch::equal(draw_picture_jitter(4096, again), jitter));
}

TEST(PictureJitter, TheIdentityKeepsAPictureAndAMirrorFlipsItExactly) {
  const auto pictures = torch::randn({3, 3, 8, 8}, torch::Generator(at::make_generator<at::CPUGeneratorImpl>(1)));
  EXPECT_TRUE(torch::allclose(jitter_pictures(pictures, identity_jitter(3)), pictures, 1e-5, 1e-5));
  auto mirror = identity_jitter(3);
  mirror.select(1, 0).select(1, 0).fill_(-1.0f);
  EXPECT_TRUE(torch::allclose(jitter_pictures(pictures, mirror), pictures.flip({3}), 1e-5, 1e-5));
}

// A shift by one pixel moves the picture by one pixel; the pixels it uncovers repeat the edge.
TEST(PictureJitter, AShiftMovesThePictureAndExtendsItsEdge) {
  const auto pictures = torch::arange(64, torch::kFloat32).reshape({1, 1, 8, 8}).repeat({1, 3, 1, 1});
  auto shift = identity_jitter(1);
  shift.select(1, 0).select(1, 2).fill_(2.0f / 8.0f);  // one pixel of 8 in [-1, 1] coordinates
  const auto shifted = jitter_pictures(pictures, shift);
  EXPECT_TRUE(torch::allclose(shifted.narrow(3, 0, 7), pictures.narrow(3, 1, 7), 1e-4, 1e-4));
  EXPECT_TRUE(torch::allclose(shifted.select(3, 7), pictures.select(3, 7), 1e-4, 1e-4));
  EXPECT_THROW(jitter_pictures(pictures, identity_jitter(2)), c10::Error);
}

}  // namespace
}  // namespace shape::training
