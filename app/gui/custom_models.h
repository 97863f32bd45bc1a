// The model files the user picked in the Models panel (or on the command line): a folder holding
// hand-downloaded official files, and custom files replacing the official diffusion model, decoder
// or CLIP. Plain strings (persisted in settings.ini); empty means "the official file". Torch-free.
#pragma once

#include <array>
#include <cstddef>
#include <string>

namespace shape::studio {

enum class ModelPath : std::size_t {
  WeightsDir,          // official files downloaded by hand (searched before the cache)
  TransformerConfig,   // a custom diffusion model: its YAML ...
  TransformerWeights,  // ... and its weights
  DecoderConfig,       // a custom decoder (transmitter): its YAML ...
  DecoderWeights,      // ... and its weights
  ClipWeights,         // a custom CLIP
};
inline constexpr std::size_t kModelPathCount = 6;

struct CustomModelPaths {
  std::array<std::string, kModelPathCount> paths;

  std::string& operator[](ModelPath which) { return paths[static_cast<std::size_t>(which)]; }
  const std::string& operator[](ModelPath which) const { return paths[static_cast<std::size_t>(which)]; }
  bool operator==(const CustomModelPaths& other) const { return paths == other.paths; }
  bool operator!=(const CustomModelPaths& other) const { return paths != other.paths; }
};

// What the panel calls the path ("diffusion config") and the settings key ("transformer_config").
const char* model_path_label(ModelPath which);
const char* model_path_key(ModelPath which);

// Empty when every given path can be used; otherwise one message per problem, naming the field:
// a path that does not exist or is of the wrong kind (folder vs file), or a config without its
// weights (they go together). Only looks at the file system; loading checks the contents.
std::string check_custom_models(const CustomModelPaths& paths);

}  // namespace shape::studio
