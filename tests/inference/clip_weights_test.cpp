// Loading CLIP weights: TorchScript archives without running them, state dicts, and binding.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "checkpoint_test_util.h"
#include "clip_test_models.h"
#include "inference/checkpoint/checkpoint.h"
#include "inference/clip/clip_weights.h"

namespace shape {
namespace {

using checkpoint_test::PickleWriter;
using checkpoint_test::TempDir;
using checkpoint_test::TensorSpec;

constexpr uint8_t kNewObj = 0x81;

// A torch.jit.save-like zip: data.pkl, the storages, and the constants.pkl / code/ records that
// mark a TorchScript archive.
std::string script_archive(const std::string& pickle, const std::map<std::string, std::string>& storages) {
  std::vector<checkpoint_test::ZipRecord> records{{"model/data.pkl", pickle}};
  for (const auto& [key, bytes] : storages) records.push_back({"model/data/" + key, bytes});
  records.push_back({"model/constants.pkl", "\x80\x02)."});
  records.push_back({"model/code/__torch__/m.py", "class M(Module):\n  def forward(self): os.system('x')\n"});
  records.push_back({"model/version", "4\n"});
  return checkpoint_test::make_zip(records);
}

// GLOBAL __torch__.<module> <name>, EMPTY_TUPLE, NEWOBJ: how torch pickles a module object.
void new_module(PickleWriter& pickle, const std::string& name) {
  pickle.global("__torch__.model", name).empty_tuple().op(kNewObj);
}

TensorSpec float_tensor(const std::string& key, std::vector<int64_t> sizes) {
  int64_t numel = 1;
  for (const int64_t size : sizes) numel *= size;
  std::vector<int64_t> strides(sizes.size(), 1);
  for (size_t i = sizes.size(); i-- > 1;) strides[i - 1] = strides[i] * sizes[i];
  return {"", key, numel, sizes, strides};
}

std::string floats(std::vector<float> values) { return checkpoint_test::raw_bytes(values); }

// Root {w: tensor, training: False, sub: Sub{b: tensor, flag: 3, name: "x"}}.
std::string nested_module_pickle() {
  PickleWriter pickle;
  pickle.proto(2);
  new_module(pickle, "Root");
  pickle.empty_dict().mark().unicode("w");
  checkpoint_test::write_tensor(pickle, float_tensor("0", {2}));
  pickle.unicode("training").newfalse().unicode("sub");
  new_module(pickle, "Sub");
  pickle.empty_dict().mark().unicode("b");
  checkpoint_test::write_tensor(pickle, float_tensor("1", {1, 3}));
  pickle.unicode("flag").integer(3).unicode("name").unicode("x").setitems().build();
  pickle.setitems().build().stop();
  return pickle.bytes();
}

std::string load_error(const std::filesystem::path& path) {
  try {
    load_clip_weights(path);
  } catch (const CheckpointError& error) {
    return error.what();
  }
  return "";
}

TEST(ClipWeights, TorchScriptArchiveHoldsExactlyTheStateDict) {
  const StateDict plain = load_checkpoint(testing::golden_path("clip.weights.pt"));
  const StateDict archive = load_clip_weights(testing::golden_path("clip.jit.pt"));
  ASSERT_EQ(plain.size(), 62u);
  EXPECT_EQ(archive.keys(), plain.keys());  // same names, same order (named_parameters order)
  for (const auto& key : plain.keys()) {
    EXPECT_TRUE(testing::exactly_equal(archive.at(key), plain.at(key))) << key;
  }
  // A state dict goes through load_checkpoint unchanged.
  EXPECT_EQ(load_clip_weights(testing::golden_path("clip.weights.pt")).keys(), plain.keys());
  // And the plain state-dict reader still refuses the archive, saying what it is.
  try {
    load_checkpoint(testing::golden_path("clip.jit.pt"));
    FAIL() << "the state-dict reader accepted a TorchScript archive";
  } catch (const CheckpointError& error) {
    EXPECT_NE(std::string(error.what()).find("TorchScript archive"), std::string::npos) << error.what();
  }
}

TEST(ClipWeights, ScriptModulesBecomeAttributePaths) {
  TempDir dir;
  const auto path =
      dir.write("m.pt", script_archive(nested_module_pickle(), {{"0", floats({1, 2})}, {"1", floats({3, 4, 5})}}));
  const StateDict weights = load_clip_weights(path);
  EXPECT_EQ(weights.keys(), (std::vector<std::string>{"w", "sub.b"}));
  EXPECT_TRUE(weights.at("sub.b").equal(torch::tensor({{3.0f, 4.0f, 5.0f}})));
}

TEST(ClipWeights, HostileTorchScriptArchivesAreRejected) {
  TempDir dir;
  const auto error_for = [&](const std::string& pickle, const std::map<std::string, std::string>& storages = {}) {
    return load_error(dir.write("hostile.pt", script_archive(pickle, storages)));
  };
  {  // Only __torch__ classes and the tensor globals: os.system stays forbidden.
    PickleWriter pickle;
    pickle.proto(2).global("os", "system").mark().unicode("touch /tmp/pwned").tuple().reduce().stop();
    EXPECT_NE(error_for(pickle.bytes()).find("disallowed global 'os.system'"), std::string::npos);
  }
  {  // A TorchScript class is never called.
    PickleWriter pickle;
    pickle.proto(2).global("__torch__.model", "Root").mark().unicode("x").tuple().reduce().stop();
    EXPECT_NE(error_for(pickle.bytes()).find("only NEWOBJ"), std::string::npos);
  }
  {  // NEWOBJ with arguments.
    PickleWriter pickle;
    pickle.proto(2).global("__torch__.model", "Root").mark().unicode("x").tuple().op(kNewObj).stop();
    EXPECT_NE(error_for(pickle.bytes()).find("with arguments"), std::string::npos);
  }
  {  // NEWOBJ of anything but a TorchScript class.
    PickleWriter pickle;
    pickle.proto(2).global("collections", "OrderedDict").empty_tuple().op(kNewObj).stop();
    EXPECT_NE(error_for(pickle.bytes()).find("only TorchScript classes"), std::string::npos);
  }
  {  // Custom C++ classes carry a non-dict state.
    PickleWriter pickle;
    pickle.proto(2);
    new_module(pickle, "Packed");
    pickle.mark().integer(1).tuple().build().stop();
    EXPECT_NE(error_for(pickle.bytes()).find("custom C++ classes"), std::string::npos);
  }
  {  // A module that contains itself.
    PickleWriter pickle;
    pickle.proto(2);
    new_module(pickle, "Root");
    pickle.op('q').op(0).empty_dict().mark().unicode("me").op('h').op(0).setitems().build().stop();
    EXPECT_NE(error_for(pickle.bytes()).find("contains itself"), std::string::npos);
  }
  {  // Built twice.
    PickleWriter pickle;
    pickle.proto(2);
    new_module(pickle, "Root");
    pickle.empty_dict().build().empty_dict().build().stop();
    EXPECT_NE(error_for(pickle.bytes()).find("built twice"), std::string::npos);
  }
  {  // The root must be a module.
    PickleWriter pickle;
    pickle.proto(2).empty_dict().stop();
    EXPECT_NE(error_for(pickle.bytes()).find("not a TorchScript module"), std::string::npos);
  }
  // Tensor views are checked as in state dicts: a storage too small for its tensor.
  EXPECT_NE(error_for(nested_module_pickle(), {{"0", floats({1, 2})}, {"1", floats({3})}}).find("record"),
            std::string::npos);
}

TEST(ClipWeights, ArchiveExtrasAndTheOtherTowerAreSkippedWhenBinding) {
  StateDict weights = load_clip_weights(testing::golden_path("clip.weights.pt"));
  // OpenAI's archives also hold these three tensors (clip.build_model deletes them).
  weights.insert("input_resolution", torch::tensor(224));
  weights.insert("context_length", torch::tensor(77));
  weights.insert("vocab_size", torch::tensor(49408));
  ClipModel both(testing::golden_clip()->config());
  EXPECT_EQ(bind_clip_weights(both, weights).ignored_keys.size(), 3u);
  ClipModel text(testing::golden_clip()->config(), ClipTowers::kText);
  const WeightBindingReport report = bind_clip_weights(text, weights);
  EXPECT_EQ(report.bound, 62u - 1 - 32);  // neither logit_scale nor the 32 visual tensors
  EXPECT_EQ(report.ignored_keys.size(), 3u + 1 + 32);
}

TEST(ClipWeights, WrongWeightsAreClearErrors) {
  StateDict weights;
  const StateDict golden = load_clip_weights(testing::golden_path("clip.weights.pt"));
  for (const auto& key : golden.keys()) {
    weights.insert(key, key == "visual.proj" ? torch::zeros({64, 512}) : golden.at(key));
  }
  ClipModel model(testing::golden_clip()->config());
  try {
    bind_clip_weights(model, weights);
    FAIL() << "no error";
  } catch (const WeightBindingError& error) {
    EXPECT_NE(std::string(error.what()).find("visual.proj: checkpoint [64, 512], model [64, 768]"), std::string::npos)
        << error.what();
  }
  // Not a CLIP checkpoint at all: the config cannot be inferred; the message names the file.
  try {
    load_clip_model(testing::golden_path("transformer_text.weights.pt"));
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("transformer_text.weights.pt"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("visual.proj"), std::string::npos) << error.what();
  }
  // A given config that does not fit the weights.
  ClipLoadOptions options;
  options.config = testing::golden_clip()->config();
  options.config->embed_dim = 512;
  EXPECT_THROW(load_clip_model(testing::golden_path("clip.weights.pt"), options), WeightBindingError);
  // Missing and corrupt files.
  EXPECT_NE(load_error("/nonexistent/ViT-L-14.pt").find("/nonexistent/ViT-L-14.pt"), std::string::npos);
  TempDir dir;
  std::string truncated = checkpoint_test::read_file(testing::golden_path("clip.jit.pt"));
  truncated.resize(truncated.size() / 2);
  EXPECT_FALSE(load_error(dir.write("truncated.pt", truncated)).empty());
}

}  // namespace
}  // namespace shape
