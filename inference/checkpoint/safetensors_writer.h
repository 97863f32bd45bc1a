// Writing named tensors as a .safetensors file (what the training commands save, so that the
// inference loader reads trained models exactly as it reads downloaded ones).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <torch/nn/module.h>
#include <torch/types.h>

namespace shape {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// The file's bytes: tensors in the given order (names must be unique), each made contiguous and
// moved to the CPU; float32, float16, bfloat16, float64, int64, int32, uint8 and bool are
// supported. `metadata` becomes the header's string-to-string `__metadata__`.
// Throws std::invalid_argument for a duplicate name or an unsupported dtype.
std::string serialize_safetensors(const NamedTensors& tensors, const std::map<std::string, std::string>& metadata = {});

// serialize_safetensors written crash-safely (a temporary file renamed over `path`).
// Throws ExportError naming the path on an I/O failure.
void save_safetensors(const std::filesystem::path& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Every parameter and buffer of a module under its state-dict name, prefixed with `prefix`.
NamedTensors module_tensors(const torch::nn::Module& module, const std::string& prefix = "");

}  // namespace shape
