#include <gtest/gtest.h>
#include <torch/torch.h>

#include "inference/models/skip_random_init.h"
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

TEST(WeightBinding, SharedMemoryTakesMatchingTensorsAndCopiesConversions) {
  Tiny tiny;
  StateDict weights;
  weights.insert("layer.weight", torch::arange(6, torch::kFloat32).view({2, 3}).to(torch::kHalf));
  weights.insert("layer.bias", torch::tensor({0.5f, -1.0f}));
  weights.insert("scale", torch::tensor({2.0f, 3.0f}));
  WeightBindingOptions options;
  options.share_memory = true;
  const torch::Tensor bias_parameter = tiny->layer->bias;  // the module's own tensor object
  bind_weights(*tiny, weights, options);
  EXPECT_EQ(tiny->layer->bias.data_ptr(), weights.at("layer.bias").data_ptr());
  EXPECT_EQ(bias_parameter.data_ptr(), weights.at("layer.bias").data_ptr());  // bound in place
  EXPECT_TRUE(tiny->layer->bias.requires_grad());
  EXPECT_EQ(tiny->scale.data_ptr(), weights.at("scale").data_ptr());
  EXPECT_NE(tiny->layer->weight.data_ptr(), weights.at("layer.weight").data_ptr());
  EXPECT_EQ(tiny->layer->weight.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(torch::equal(tiny->layer->weight, torch::arange(6, torch::kFloat32).view({2, 3})));
  EXPECT_TRUE(torch::equal(tiny->layer->forward(torch::ones({1, 3})),
                           torch::tensor({{3.5f, 11.0f}})));

  // Without the option every tensor is copied.
  Tiny copied;
  bind_weights(*copied, weights);
  EXPECT_NE(copied->layer->bias.data_ptr(), weights.at("layer.bias").data_ptr());
}

TEST(WeightBinding, ChecksUseShapesSoUnreadAndIgnoredTensorsAreNotRead) {
  Tiny tiny;
  StateDict weights;
  std::vector<std::string> reads;
  const auto unread = [&](const std::string& name, torch::Tensor value) {
    weights.insert_unread(name, value.sizes().vec(), value.scalar_type(), [&reads, name, value] {
      reads.push_back(name);
      return value;
    });
  };
  unread("layer.weight", torch::arange(6, torch::kFloat32).view({2, 3}));
  unread("layer.bias", torch::tensor({0.5f, -1.0f}));
  unread("scale", torch::tensor({2.0f, 3.0f}));
  unread("encoder.trunk", torch::zeros({1000}));
  unread("extra", torch::zeros({3}));
  EXPECT_NE(binding_error(*tiny, weights).find("extra"), std::string::npos);
  EXPECT_TRUE(reads.empty()) << "a failed check reads nothing";

  WeightBindingOptions options;
  options.ignored_prefixes = {"encoder.", "extra"};
  bind_weights(*tiny, weights, options);
  EXPECT_EQ(reads, (std::vector<std::string>{"layer.weight", "layer.bias", "scale"}));
  EXPECT_TRUE(torch::equal(tiny->scale, torch::tensor({2.0f, 3.0f})));
}

TEST(SkipRandomInit, SkipsRandomFillsOnlyAndOnlyWhileItLives) {
  torch::manual_seed(3);
  const torch::Tensor expected_draw = torch::rand({4});
  torch::manual_seed(3);
  {
    const SkipRandomInit skip;
    Tiny tiny;  // Linear's kaiming_uniform_ and uniform_ draw nothing
    EXPECT_TRUE(torch::equal(tiny->scale, torch::ones({2})));  // fills still fill
    auto drawn = torch::empty({3});
    drawn.fill_(7.0f);
    drawn.normal_();
    drawn.uniform_();
    EXPECT_TRUE(torch::equal(drawn, torch::full({3}, 7.0f)));
    EXPECT_TRUE(torch::equal(torch::arange(3) * 2, torch::tensor({0, 2, 4})));
  }
  // The generator did not move, and random fills work again.
  EXPECT_TRUE(torch::equal(torch::rand({4}), expected_draw));
  auto drawn = torch::full({1000}, 7.0f);
  drawn.uniform_();
  EXPECT_LT(drawn.max().item<float>(), 1.0f);
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
