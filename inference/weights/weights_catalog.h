// The model files Shape Studio knows how to fetch: the official Shap-E and CLIP releases, plus any
// custom (e.g. fine-tuned) file described the same way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shape {

struct WeightsFile {
  std::string name;              // what users see and type: "text300M", "ViT-L/14", ...
  std::string url;               // http(s) download source; empty when the file can only be placed by hand
  std::string sha256;            // 64 lowercase hex digits; empty when the file is not checked
  std::string filename;          // plain file name inside the weights folder or the cache
  std::uint64_t size_bytes = 0;  // expected size, 0 when unknown (then the server's length is used)
  std::string description;       // one line for the Models panel
};

// The official files (reference/weights.md): the text- and image-conditional diffusion models, the
// transmitter, the vector decoder, their five YAML configs and CLIP ViT-L/14.
const std::vector<WeightsFile>& official_weights_files();

// Throws std::out_of_range listing the known names when `name` is not one of them.
const WeightsFile& official_weights_file(std::string_view name);

// Builds a validated custom entry (see validate_weights_file); the hash is lower-cased.
WeightsFile make_custom_weights_file(std::string name, std::string url, std::string sha256, std::string filename);

// Throws std::invalid_argument naming the entry and the problem: an empty name, a filename that is
// not a plain file name (separators, "..", a leading dot), a URL that is neither http:// nor
// https://, or a hash that is not 64 hex digits.
void validate_weights_file(const WeightsFile& file);

}  // namespace shape
