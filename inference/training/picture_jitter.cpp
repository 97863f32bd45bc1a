#include "inference/training/picture_jitter.h"

#include <torch/nn/functional/vision.h>
#include <torch/torch.h>

namespace shape::training {

torch::Tensor draw_picture_jitter(int64_t count, at::Generator& generator) {
  const auto uniform = [&](double low, double high) {
    return torch::rand({count}, generator, torch::kFloat32) * (high - low) + low;
  };
  const auto mirror = torch::where(torch::rand({count}, generator, torch::kFloat32) < 0.5f, -1.0f, 1.0f);
  const auto scale = uniform(0.9, 1.1);  // > 1 samples a larger window: the object looks smaller
  const auto shift_x = uniform(-0.1, 0.1), shift_y = uniform(-0.1, 0.1);  // 1/20 of the side each way
  const auto zero = torch::zeros({count});
  const auto row_x = torch::stack({mirror * scale, zero, shift_x}, 1);
  const auto row_y = torch::stack({zero, scale, shift_y}, 1);
  return torch::stack({row_x, row_y}, 1);
}

torch::Tensor jitter_pictures(const torch::Tensor& pictures, const torch::Tensor& jitter) {
  TORCH_CHECK(pictures.dim() == 4 && jitter.dim() == 3 && jitter.size(0) == pictures.size(0),
              "jitter_pictures: one [2, 3] jitter per picture of [count, 3, R, R]");
  namespace F = torch::nn::functional;
  const auto grid = F::affine_grid(jitter.to(pictures.dtype()), pictures.sizes(), /*align_corners=*/false);
  return F::grid_sample(pictures, grid,
                        F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kBorder).align_corners(
                            false));
}

}  // namespace shape::training
