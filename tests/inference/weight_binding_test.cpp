#include <gtest/gtest.h>
#include <torch/torch.h>

#include "inference/models/weight_binding.h"

namespace shape {
namespace {

struct TinyImpl : torch::nn::Module {
  TinyImpl() {
    layer = register_module("layer", torch::nn::Linear(3, 2));
    scale = register_buffer("scale", torch::ones({2}));
  }
  torch::nn::Linear layer{nullptr};
  torch::Tensor scale;
};
TORCH_MODULE(Tiny);

StateDict complete_weights() {
  StateDict weights;
  weights.insert("layer.weight", torch::arange(6, torch::kFloat32).view({2, 3}));
  weights.insert("layer.bias", torch::tensor({0.5f, -1.0f}));
  weights.insert("scale", torch::tensor({2.0f, 3.0f}));
  return weights;
}

std::string binding_error(torch::nn::Module& module, const StateDict& weights,
                          const WeightBindingOptions& options = {}) {
  try {
    bind_weights(module, weights, options);
  } catch (const WeightBindingError& error) {
    return error.what();
  }
  return "";
}

TEST(WeightBinding, CopiesParametersAndBuffersAndConvertsDtype) {
  Tiny tiny;
  StateDict weights;
  weights.insert("layer.weight", torch::arange(6, torch::kFloat32).view({2, 3}).to(torch::kHalf));
  weights.insert("layer.bias", torch::tensor({0.5f, -1.0f}).to(torch::kBFloat16));
  weights.insert("scale", torch::tensor({2.0f, 3.0f}));
  const auto report = bind_weights(*tiny, weights);
  EXPECT_EQ(report.bound, 3u);
  EXPECT_EQ(tiny->layer->weight.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(torch::equal(tiny->layer->weight, torch::arange(6, torch::kFloat32).view({2, 3})));
  EXPECT_TRUE(torch::equal(tiny->scale, torch::tensor({2.0f, 3.0f})));
}

TEST(WeightBinding, ListsMissingMismatchedAndUnexpectedTensorsAndChangesNothing) {
  Tiny tiny;
  const auto before = tiny->layer->weight.clone();
  StateDict weights;
  weights.insert("layer.weight", torch::zeros({3, 2}));
  weights.insert("scale", torch::zeros({2}));
  weights.insert("extra.thing", torch::zeros({1}));
  const auto message = binding_error(*tiny, weights);
  EXPECT_NE(message.find("missing tensors (1)"), std::string::npos) << message;
  EXPECT_NE(message.find("layer.bias"), std::string::npos) << message;
  EXPECT_NE(message.find("layer.weight: checkpoint [3, 2], model [2, 3]"), std::string::npos) << message;
  EXPECT_NE(message.find("unexpected tensors (1)"), std::string::npos) << message;
  EXPECT_NE(message.find("extra.thing"), std::string::npos) << message;
  EXPECT_TRUE(torch::equal(tiny->layer->weight, before));
}

TEST(WeightBinding, IgnoredPrefixesAreReportedNotRejected) {
  Tiny tiny;
  auto weights = complete_weights();
  weights.insert("encoder.trunk.weight", torch::zeros({4}));
  WeightBindingOptions options;
  options.ignored_prefixes = {"encoder.trunk."};
  const auto report = bind_weights(*tiny, weights, options);
  ASSERT_EQ(report.ignored_keys.size(), 1u);
  EXPECT_EQ(report.ignored_keys[0], "encoder.trunk.weight");
}

TEST(WeightBinding, KeyPrefixSelectsASubtree) {
  Tiny tiny;
  StateDict weights;
  for (const auto& key : complete_weights().keys()) weights.insert("renderer." + key, complete_weights().at(key));
  WeightBindingOptions options;
  options.key_prefix = "renderer.";
  EXPECT_EQ(bind_weights(*tiny, weights, options).bound, 3u);
}

TEST(WeightBinding, LongListsAreShortened) {
  Tiny tiny;
  auto weights = complete_weights();
  for (int i = 0; i < 40; ++i) weights.insert("junk." + std::to_string(i), torch::zeros({1}));
  const auto message = binding_error(*tiny, weights);
  EXPECT_NE(message.find("unexpected tensors (40)"), std::string::npos) << message;
  EXPECT_NE(message.find("... and 28 more"), std::string::npos) << message;
}

}  // namespace
}  // namespace shape
