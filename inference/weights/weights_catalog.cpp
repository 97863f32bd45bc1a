#include "inference/weights/weights_catalog.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "inference/weights/sha256.h"

namespace shape {
namespace {

const char kShapEBaseUrl[] = "https://openaipublic.azureedge.net/main/shap-e/";

WeightsFile shap_e_file(std::string name, std::string filename, std::string sha256, std::string description) {
  WeightsFile file;
  file.name = std::move(name);
  file.url = kShapEBaseUrl + filename;
  file.sha256 = std::move(sha256);
  file.filename = std::move(filename);
  file.description = std::move(description);
  return file;
}

std::vector<WeightsFile> make_official_weights_files() {
  std::vector<WeightsFile> files = {
      shap_e_file("text300M", "text_cond.pt", "e6b4fa599a7b3c3b16c222d5f5fe56f9db9289ff0b6575fbe5c11bc97106aad4",
                  "Text-conditional diffusion model"),
      shap_e_file("image300M", "image_cond.pt", "cb8072c64bbbcf6910488814d212227de5db291780d4ea99c6152f9346cf12aa",
                  "Image-conditional diffusion model"),
      shap_e_file("transmitter", "transmitter.pt", "af02a0b85a8abdfb3919584b63c540ba175f6ad4790f574a7fef4617e5acdc3b",
                  "Latent decoder (NeRF and STF mesh)"),
      shap_e_file("decoder", "vector_decoder.pt", "d7e7ebbfe3780499ae89b2da5e7c1354012dba5a6abfe295bed42f25c3be1b98",
                  "Vector decoder (alternative to the transmitter)"),
      shap_e_file("text300M-config", "text_cond_config.yaml",
                  "f290beeea3d3e9ff15db01bde5382b6e549e463060c0744f89c049505be246c1", "text300M model config"),
      shap_e_file("image300M-config", "image_cond_config.yaml",
                  "4e0745605a533c543c72add803a78d233e2a6401e0abfa0cad58afb4d74ad0b0", "image300M model config"),
      shap_e_file("transmitter-config", "transmitter_config.yaml",
                  "ffe1bcb405104a37d9408391182ab118a4ef313c391e07689684f1f62071605e", "Transmitter config"),
      shap_e_file("decoder-config", "vector_decoder_config.yaml",
                  "e6d373649f8e24d85925f4674b9ac41c57aba5f60e42cde6d10f87381326365c", "Vector decoder config"),
      shap_e_file("diffusion-config", "diffusion_config.yaml",
                  "efcb2cd7ee545b2d27223979d41857802448143990572a42645cd09c2942ed57", "Diffusion schedule config"),
  };
  // CLIP publishes its hash inside the URL.
  WeightsFile clip;
  clip.name = "ViT-L/14";
  clip.sha256 = "b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836";
  clip.url = "https://openaipublic.azureedge.net/clip/models/" + clip.sha256 + "/ViT-L-14.pt";
  clip.filename = "ViT-L-14.pt";
  clip.description = "CLIP ViT-L/14 (text and image conditioning)";
  files.push_back(std::move(clip));
  return files;
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

std::string describe(const WeightsFile& file) { return "weights entry '" + file.name + "' (" + file.filename + ")"; }

}  // namespace

const std::vector<WeightsFile>& official_weights_files() {
  static const std::vector<WeightsFile> files = make_official_weights_files();
  return files;
}

const WeightsFile& official_weights_file(std::string_view name) {
  const auto& files = official_weights_files();
  const auto found = std::find_if(files.begin(), files.end(), [&](const WeightsFile& f) { return f.name == name; });
  if (found != files.end()) return *found;
  std::string known;
  for (const auto& file : files) known += (known.empty() ? "" : ", ") + file.name;
  throw std::out_of_range("unknown model file '" + std::string(name) + "'; known files: " + known);
}

WeightsFile make_custom_weights_file(std::string name, std::string url, std::string sha256, std::string filename) {
  WeightsFile file;
  file.name = std::move(name);
  file.url = std::move(url);
  file.sha256 = std::move(sha256);
  std::transform(file.sha256.begin(), file.sha256.end(), file.sha256.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  file.filename = std::move(filename);
  validate_weights_file(file);
  return file;
}

void validate_weights_file(const WeightsFile& file) {
  if (file.name.empty()) {
    throw std::invalid_argument("weights entry for '" + file.filename + "' has no name");
  }
  const std::string_view filename = file.filename;
  // Files always land directly inside the chosen folder: no way to write elsewhere.
  if (filename.empty() || filename.front() == '.' || filename.find('/') != std::string_view::npos ||
      filename.find('\\') != std::string_view::npos || filename.find('\0') != std::string_view::npos) {
    throw std::invalid_argument(describe(file) +
                                ": the filename must be a plain file name without folders or a leading dot");
  }
  if (!file.url.empty() && !starts_with(file.url, "https://") && !starts_with(file.url, "http://")) {
    throw std::invalid_argument(describe(file) + ": the URL '" + file.url + "' is neither http:// nor https://");
  }
  if (!file.sha256.empty() && !is_sha256_hex(file.sha256)) {
    throw std::invalid_argument(describe(file) + ": the SHA-256 '" + file.sha256 + "' is not 64 hex digits");
  }
}

}  // namespace shape
