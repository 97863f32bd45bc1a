#include "inference/pipeline/latent.h"

#include <torch/torch.h>

#include "inference/checkpoint/checkpoint.h"
#include "inference/export/file_io.h"

namespace shape {

void save_latents(const std::vector<Latent>& latents, const std::filesystem::path& path) {
  if (latents.empty()) throw std::invalid_argument("no latents to save to " + path.string());
  const auto size = static_cast<int64_t>(latents.front().values.size());
  auto stacked = torch::empty({static_cast<int64_t>(latents.size()), size}, torch::kFloat32);
  for (size_t i = 0; i < latents.size(); ++i) {
    if (static_cast<int64_t>(latents[i].values.size()) != size) {
      throw std::invalid_argument("latents of different sizes cannot be saved together");
    }
    std::memcpy(stacked[static_cast<int64_t>(i)].data_ptr<float>(), latents[i].values.data(), size * sizeof(float));
  }
  c10::Dict<std::string, torch::Tensor> contents;
  contents.insert("latents", stacked);
  const auto bytes = torch::pickle_save(contents);
  write_files_atomically({{path, std::string(bytes.begin(), bytes.end())}});
}

std::vector<Latent> load_latents(const std::filesystem::path& path) {
  const auto contents = load_checkpoint(path);
  const std::string key = contents.contains("latents") ? "latents" : "latent";
  if (!contents.contains(key)) {
    throw CheckpointError(path.string() + ": holds no tensor named 'latents' or 'latent'");
  }
  auto tensor = contents.at(key).to(torch::kFloat32).contiguous();
  if (tensor.dim() == 1) tensor = tensor.unsqueeze(0);
  if (tensor.dim() != 2 || tensor.size(1) == 0) {
    throw CheckpointError(path.string() + ": '" + key + "' must be [N, size] or [size]");
  }
  std::vector<Latent> latents(tensor.size(0));
  for (int64_t i = 0; i < tensor.size(0); ++i) {
    const float* row = tensor[i].data_ptr<float>();
    latents[i].values.assign(row, row + tensor.size(1));
  }
  return latents;
}

}  // namespace shape
