// Shared by the whole-chain tests: the golden e2e models as LatentGenerator files, and golden
// tensors to and from the library's plain types.
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

#include "golden.h"
#include "inference/clip/image_u8.h"
#include "inference/mesh/mesh.h"
#include "inference/pipeline/latent.h"
#include "inference/pipeline/latent_generator.h"

namespace shape::testing {

inline GeneratorFiles golden_generator_files(const std::string& kind) {
  GeneratorFiles files;
  files.transformer_config = golden_path("e2e." + kind + ".transformer.yaml");
  files.transformer_weights = golden_path("e2e_" + kind + ".transformer.state_dict.pt");
  files.diffusion_config = golden_path("e2e.diffusion.yaml");
  files.clip_weights = golden_path("clip.jit.pt");  // the TorchScript form, like ViT-L-14.pt
  files.clip_config = golden_path("e2e.clip.json");
  return files;
}

inline torch::Tensor stack(const std::vector<Latent>& latents) {
  std::vector<torch::Tensor> rows;
  for (const auto& latent : latents) rows.push_back(torch::tensor(latent.values));
  return torch::stack(rows);
}

inline ImageU8 golden_image(const torch::Tensor& hwc) {
  ImageU8 image;
  image.height = static_cast<int>(hwc.size(0));
  image.width = static_cast<int>(hwc.size(1));
  image.channels = 3;
  const auto bytes = hwc.contiguous();
  image.pixels.assign(bytes.data_ptr<uint8_t>(), bytes.data_ptr<uint8_t>() + bytes.numel());
  return image;
}

inline torch::Tensor mesh_positions(const Mesh& mesh) {
  return torch::from_blob(const_cast<float*>(mesh.positions.front().data()),
                          {static_cast<int64_t>(mesh.positions.size()), 3}, torch::kFloat32).clone();
}

inline torch::Tensor mesh_colors(const Mesh& mesh) {
  return torch::from_blob(const_cast<float*>(mesh.colors.front().data()),
                          {static_cast<int64_t>(mesh.colors.size()), 3}, torch::kFloat32).clone();
}

inline torch::Tensor mesh_faces(const Mesh& mesh) {
  return torch::from_blob(const_cast<uint32_t*>(mesh.triangles.front().data()),
                          {static_cast<int64_t>(mesh.triangles.size()), 3}, torch::kInt32).to(torch::kLong);
}

// Symmetric Chamfer distance between two point sets [N, 3] and [M, 3]: the mean distance from each
// point to the nearest point of the other set, averaged over both directions.
inline double chamfer_distance(const torch::Tensor& a, const torch::Tensor& b) {
  auto mean_nearest = [](const torch::Tensor& from, const torch::Tensor& to) {
    double sum = 0.0;
    for (int64_t start = 0; start < from.size(0); start += 1024) {
      const auto chunk = from.narrow(0, start, std::min<int64_t>(1024, from.size(0) - start));
      sum += torch::cdist(chunk.to(torch::kFloat64), to.to(torch::kFloat64)).amin(1).sum().item<double>();
    }
    return sum / static_cast<double>(from.size(0));
  };
  return 0.5 * (mean_nearest(a, b) + mean_nearest(b, a));
}

}  // namespace shape::testing
