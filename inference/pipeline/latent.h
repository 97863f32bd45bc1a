// A Shap-E latent as plain data: the flattened [latent_ctx * d_latent] vector of one sample, on the
// CPU. Front ends hold, show and save latents without LibTorch.
#pragma once

#include <filesystem>
#include <vector>

namespace shape {

struct Latent {
  std::vector<float> values;
};

// Saved as a PyTorch zip (`torch.load(path)["latents"]` is a float32 [N, size] tensor), so latents
// move between Shape Studio and Python. Writes atomically; throws std::runtime_error naming the path.
void save_latents(const std::vector<Latent>& latents, const std::filesystem::path& path);
// Reads what save_latents wrote, or any checkpoint whose tensor "latents" / "latent" is [N, size] or
// [size]. Throws CheckpointError.
std::vector<Latent> load_latents(const std::filesystem::path& path);

}  // namespace shape
