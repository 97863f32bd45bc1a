// A folder of captioned meshes: captions.jsonl names each mesh and its caption. Meshes are read and
// normalised at load; the signed distances are computed per sample.
#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "inference/checkpoint/format_error.h"
#include "inference/checkpoint/json_parser.h"
#include "inference/export/file_io.h"
#include "inference/export/mesh_import.h"
#include "inference/training/dataset_sampling.h"

namespace shape::training {
namespace {

namespace fs = std::filesystem;
using checkpoint_detail::JsonValue;

struct Entry {
  std::string caption;
  Mesh mesh;
};

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// Centres the bounding box at the origin and scales uniformly so it fits [-0.9, 0.9]^3; uncoloured
// meshes become mid-grey so every sample has colour targets.
void normalise(Mesh& mesh, const std::string& where) {
  std::array<float, 3> low = mesh.positions.front(), high = mesh.positions.front();
  for (const auto& p : mesh.positions) {
    for (size_t k = 0; k < 3; ++k) low[k] = std::min(low[k], p[k]), high[k] = std::max(high[k], p[k]);
  }
  float half = 0;
  for (size_t k = 0; k < 3; ++k) half = std::max(half, (high[k] - low[k]) / 2);
  if (!(half > 0)) throw std::runtime_error(where + ": the mesh has no extent");
  const float scale = 0.9f / half;
  for (auto& p : mesh.positions) {
    for (size_t k = 0; k < 3; ++k) p[k] = (p[k] - (low[k] + high[k]) / 2) * scale;
  }
  if (mesh.colors.empty()) mesh.colors.assign(mesh.positions.size(), {0.5f, 0.5f, 0.5f});
}

Entry read_entry(const fs::path& folder, const std::string& line, const std::string& where) {
  JsonValue value;
  try {
    value = checkpoint_detail::parse_json(line);
  } catch (const checkpoint_detail::FormatError& e) {
    throw std::runtime_error(where + ": bad JSON: " + e.what());
  }
  const JsonValue* mesh_name = value.find("mesh");
  const JsonValue* caption = value.find("caption");
  if (!value.is_object() || !mesh_name || !mesh_name->is_string() || !caption || !caption->is_string()) {
    throw std::runtime_error(where + ": expected an object with string members \"mesh\" and \"caption\"");
  }
  Entry entry{trimmed(caption->as_string()), {}};
  if (entry.caption.empty()) throw std::runtime_error(where + ": empty caption");
  const fs::path path = folder / mesh_name->as_string();
  if (!fs::is_regular_file(path)) throw std::runtime_error(where + ": missing mesh file " + path.string());
  try {
    entry.mesh = read_mesh(path);
  } catch (const std::exception& e) {
    throw std::runtime_error(where + ": " + e.what());
  }
  if (entry.mesh.empty()) throw std::runtime_error(where + ": the mesh " + path.string() + " has no triangles");
  normalise(entry.mesh, where + " (" + path.string() + ")");
  return entry;
}

class MeshFolderDataset : public ShapeDataset {
 public:
  explicit MeshFolderDataset(std::vector<Entry> entries) : entries_(std::move(entries)) {}

  int64_t size() const override { return static_cast<int64_t>(entries_.size()); }

  std::string caption(int64_t index) const override { return entry(index).caption; }

  ShapeSample sample(int64_t index, uint64_t seed, const SampleOptions& options) const override {
    const Entry& shape = entry(index);
    const auto surface = [&](int64_t count, uint64_t s) { return sample_surface(shape.mesh, count, s); };
    const auto targets = [&](const torch::Tensor& points, torch::Tensor* colour) {
      return mesh_signed_distance(shape.mesh, points, colour);
    };
    return assemble_sample(shape.caption, options, mix_seed(seed, static_cast<uint64_t>(index)), surface, targets);
  }

 private:
  const Entry& entry(int64_t index) const {
    if (index < 0 || index >= size()) {
      throw std::out_of_range("mesh folder dataset index " + std::to_string(index) + " out of range [0, " +
                              std::to_string(size()) + ")");
    }
    return entries_[static_cast<size_t>(index)];
  }

  std::vector<Entry> entries_;
};

}  // namespace

std::unique_ptr<ShapeDataset> load_mesh_folder_dataset(const fs::path& folder) {
  const fs::path index_path = folder / "captions.jsonl";
  std::string text;
  try {
    text = read_whole_file(index_path);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("mesh folder dataset: ") + e.what());
  }
  std::vector<Entry> entries;
  size_t line_number = 0, start = 0;
  while (start < text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (trimmed(line).empty()) continue;  // blank lines (a trailing newline) are not entries
    entries.push_back(read_entry(folder, line, index_path.string() + " line " + std::to_string(line_number)));
  }
  if (entries.empty()) throw std::runtime_error(index_path.string() + ": no entries");
  return std::make_unique<MeshFolderDataset>(std::move(entries));
}

}  // namespace shape::training
