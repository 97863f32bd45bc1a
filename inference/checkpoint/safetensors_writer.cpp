#include "inference/checkpoint/safetensors_writer.h"

#include <cstdint>
#include <cstring>
#include <set>
#include <stdexcept>

#include <torch/nn/module.h>

#include "inference/checkpoint/json_parser.h"
#include "inference/export/file_io.h"

namespace shape {
namespace {

using checkpoint_detail::json_string;

const char* safetensors_dtype(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32: return "F32";
    case torch::kFloat16: return "F16";
    case torch::kBFloat16: return "BF16";
    case torch::kFloat64: return "F64";
    case torch::kInt64: return "I64";
    case torch::kInt32: return "I32";
    case torch::kUInt8: return "U8";
    case torch::kBool: return "BOOL";
    default: return nullptr;
  }
}

}  // namespace

std::string serialize_safetensors(const NamedTensors& tensors, const std::map<std::string, std::string>& metadata) {
  std::set<std::string> names;
  std::vector<torch::Tensor> data;
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [key, value] : metadata) {
      header += (first ? "" : ",") + json_string(key) + ":" + json_string(value);
      first = false;
    }
    header += "}";
  }
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (!names.insert(name).second) throw std::invalid_argument("safetensors: duplicate tensor name '" + name + "'");
    const char* dtype = safetensors_dtype(tensor.scalar_type());
    if (dtype == nullptr) {
      throw std::invalid_argument("safetensors: tensor '" + name + "' has the unsupported dtype " +
                                  std::string(c10::toString(tensor.scalar_type())));
    }
    auto contiguous = tensor.detach().to(torch::kCPU).contiguous();
    const uint64_t bytes = static_cast<uint64_t>(contiguous.nbytes());
    header += (header.size() > 1 ? "," : "") + json_string(name) + ":{\"dtype\":\"" + dtype + "\",\"shape\":[";
    for (int64_t d = 0; d < contiguous.dim(); ++d) header += (d ? "," : "") + std::to_string(contiguous.size(d));
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + bytes) + "]}";
    offset += bytes;
    data.push_back(std::move(contiguous));
  }
  header += "}";
  // The reference writer pads the header with spaces to an 8-byte boundary, keeping the data aligned.
  header.append((8 - header.size() % 8) % 8, ' ');

  std::string file(8, '\0');
  const uint64_t header_size = header.size();
  for (int i = 0; i < 8; ++i) file[i] = static_cast<char>((header_size >> (8 * i)) & 0xff);  // little-endian
  file += header;
  file.reserve(file.size() + offset);
  for (const auto& tensor : data) file.append(static_cast<const char*>(tensor.data_ptr()), tensor.nbytes());
  return file;
}

void save_safetensors(const std::filesystem::path& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata) {
  write_files_atomically({{path, serialize_safetensors(tensors, metadata)}});
}

NamedTensors module_tensors(const torch::nn::Module& module, const std::string& prefix) {
  NamedTensors tensors;
  for (const auto& item : module.named_parameters(true)) tensors.emplace_back(prefix + item.key(), item.value());
  for (const auto& item : module.named_buffers(true)) tensors.emplace_back(prefix + item.key(), item.value());
  return tensors;
}

}  // namespace shape
