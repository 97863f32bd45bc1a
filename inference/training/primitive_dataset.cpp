// The procedural dataset: shape i is training combination i mod their count, with proportions
// drawn from (seed, i); samples come from the exact surface and the analytic signed distance.
#include <algorithm>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

#include "inference/training/dataset_sampling.h"
#include "inference/training/primitives.h"

namespace shape::training {
namespace {

bool same(const PrimitiveCombination& a, const PrimitiveCombination& b) {
  return a.kind == b.kind && a.size == b.size && a.colour == b.colour;
}

class PrimitiveDataset : public ShapeDataset {
 public:
  explicit PrimitiveDataset(std::vector<PrimitiveSpec> specs) : specs_(std::move(specs)) {}

  int64_t size() const override { return static_cast<int64_t>(specs_.size()); }

  std::string caption(int64_t index) const override { return spec(index).caption(); }
  std::vector<std::string> caption_phrasings(int64_t index) const override { return spec(index).caption_phrasings(); }

  ShapeSample sample(int64_t index, uint64_t seed, const SampleOptions& options) const override {
    const PrimitiveSpec& shape = spec(index);
    const auto surface = [&](int64_t count, uint64_t s) { return sample_primitive_surface(shape, count, s); };
    const auto targets = [&](const torch::Tensor& points, torch::Tensor* colour) {
      const auto& rgb = primitive_colours()[static_cast<size_t>(shape.colour)].rgb;
      *colour = torch::tensor({rgb[0], rgb[1], rgb[2]}, torch::kFloat32).expand({points.size(0), 3});
      return primitive_signed_distance(shape, points);
    };
    return assemble_sample(shape.caption(), options, mix_seed(seed, static_cast<uint64_t>(index)), surface, targets);
  }

 private:
  const PrimitiveSpec& spec(int64_t index) const {
    if (index < 0 || index >= size()) {
      throw std::out_of_range("primitive dataset index " + std::to_string(index) + " out of range [0, " +
                              std::to_string(size()) + ")");
    }
    return specs_[static_cast<size_t>(index)];
  }

  std::vector<PrimitiveSpec> specs_;
};

}  // namespace

std::vector<PrimitiveSpec> primitive_training_specs(int64_t count, uint64_t seed,
                                                    const PrimitiveKindWeights& kind_weights) {
  if (count < 0) throw std::invalid_argument("make_primitive_dataset: negative count");
  const auto held_out = held_out_primitive_combinations();
  std::vector<PrimitiveCombination> training;
  for (const auto& combination : all_primitive_combinations()) {
    const auto matches = [&](const PrimitiveCombination& h) { return same(h, combination); };
    if (std::any_of(held_out.begin(), held_out.end(), matches)) continue;
    const auto weight = kind_weights.find(combination.kind);
    const int64_t repeats = weight == kind_weights.end() ? 1 : weight->second;
    for (int64_t r = 0; r < repeats; ++r) training.push_back(combination);
  }
  if (training.empty()) throw std::invalid_argument("make_primitive_dataset: the kind weights leave out every kind");
  std::vector<PrimitiveSpec> specs;
  specs.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const auto& c = training[static_cast<size_t>(i) % training.size()];
    specs.push_back(make_primitive(c.kind, c.size, c.colour, mix_seed(seed, static_cast<uint64_t>(i))));
  }
  return specs;
}

std::unique_ptr<ShapeDataset> make_primitive_dataset(int64_t count, uint64_t seed,
                                                     const PrimitiveKindWeights& kind_weights) {
  return std::make_unique<PrimitiveDataset>(primitive_training_specs(count, seed, kind_weights));
}

}  // namespace shape::training
