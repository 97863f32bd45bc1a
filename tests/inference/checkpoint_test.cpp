// The checkpoint reader against the golden files (every tensor checked against manifest.json) and
// against small well-formed and hostile checkpoints built byte by byte.
#include "inference/checkpoint/checkpoint.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "inference/checkpoint/checkpoint_loader.h"
#include "inference/checkpoint/format_error.h"
#include "inference/checkpoint/json_parser.h"
#include "tests/inference/checkpoint_test_util.h"

namespace shape {
namespace {

using checkpoint_detail::JsonValue;
using checkpoint_detail::parse_json;
using namespace checkpoint_test;

const JsonValue& manifest() {
  static const JsonValue value = parse_json(read_file(golden_loader_file("manifest.json")));
  return value;
}

const JsonValue& manifest_file(const std::string& name) { return manifest().at("files").at(name); }

std::string dtype_name(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32: return "float32";
    case torch::kFloat16: return "float16";
    case torch::kBFloat16: return "bfloat16";
    case torch::kFloat64: return "float64";
    case torch::kInt64: return "int64";
    case torch::kInt32: return "int32";
    case torch::kUInt8: return "uint8";
    case torch::kBool: return "bool";
    default: return "other";
  }
}

std::string load_error(const std::filesystem::path& path) {
  return checkpoint_error_of([&] { load_checkpoint(path); });
}

// Shape, dtype, key order, float64 sum and sum of squares, first and last values: all from the manifest.
void expect_matches_manifest(const StateDict& state_dict, const std::string& file, bool check_key_order) {
  const JsonValue& entry = manifest_file(file);
  const auto& tensors = entry.at("tensors").as_object();
  ASSERT_EQ(state_dict.size(), tensors.size()) << file;
  double checksum = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const std::string& name = tensors[i].key;
    const JsonValue& expected = tensors[i].value;
    SCOPED_TRACE(file + " / " + name);
    if (check_key_order) {
      EXPECT_EQ(state_dict.keys()[i], name);
    }
    ASSERT_TRUE(state_dict.contains(name));
    const torch::Tensor& tensor = state_dict.at(name);
    EXPECT_TRUE(tensor.is_contiguous());
    EXPECT_EQ(dtype_name(tensor.scalar_type()), expected.at("dtype").as_string());
    std::vector<int64_t> shape;
    for (const JsonValue& size : expected.at("shape").as_array()) shape.push_back(size.as_int64());
    EXPECT_EQ(tensor.sizes().vec(), shape);

    const torch::Tensor values = tensor.to(torch::kFloat64).flatten();
    const double sum = values.sum().item<double>();
    const double sum_sq = values.square().sum().item<double>();
    const double expected_sum = expected.at("sum").as_double();
    const double expected_sum_sq = expected.at("sum_sq").as_double();
    EXPECT_NEAR(sum, expected_sum, 1e-6 * std::max(1.0, std::abs(expected_sum)));
    EXPECT_NEAR(sum_sq, expected_sum_sq, 1e-6 * std::max(1.0, std::abs(expected_sum_sq)));
    checksum += sum;

    const auto& first = expected.at("first").as_array();
    const auto& last = expected.at("last").as_array();
    const int64_t numel = values.numel();
    ASSERT_LE(static_cast<int64_t>(first.size()), numel);
    const auto* data = values.data_ptr<double>();
    for (size_t k = 0; k < first.size(); ++k) EXPECT_EQ(data[k], first[k].as_double()) << "first[" << k << "]";
    for (size_t k = 0; k < last.size(); ++k) {
      EXPECT_EQ(data[numel - static_cast<int64_t>(last.size()) + static_cast<int64_t>(k)], last[k].as_double())
          << "last[" << k << "]";
    }
  }
  if (const JsonValue* checksum_all = entry.find("checksum_sum_all")) {
    EXPECT_NEAR(checksum, checksum_all->as_double(), 1e-6 * std::max(1.0, std::abs(checksum_all->as_double())));
  }
}

// --- golden files ---

TEST(CheckpointGolden, DecoderStateDictMatchesManifest) {
  const StateDict state_dict = load_checkpoint(golden_loader_file("decoder.state_dict.pt"));
  EXPECT_EQ(state_dict.size(), 52u);
  expect_matches_manifest(state_dict, "decoder.state_dict.pt", true);
  const auto background = state_dict.at("renderer.void.background");
  EXPECT_TRUE(background.equal(torch::ones({3})));
}

TEST(CheckpointGolden, TransformerTextStateDictMatchesManifest) {
  const StateDict state_dict = load_checkpoint(golden_loader_file("transformer_text.state_dict.pt"));
  EXPECT_EQ(state_dict.size(), 39u);
  expect_matches_manifest(state_dict, "transformer_text.state_dict.pt", true);
}

TEST(CheckpointGolden, HalfAndBFloat16CopiesKeepTheirDtypeAndRoundFromFloat32) {
  const StateDict float32 = load_checkpoint(golden_loader_file("decoder.state_dict.pt"));
  for (const auto& [file, dtype] : {std::pair{"decoder.state_dict.fp16.pt", torch::kFloat16},
                                    std::pair{"decoder.state_dict.bf16.pt", torch::kBFloat16}}) {
    const StateDict reduced = load_checkpoint(golden_loader_file(file));
    expect_matches_manifest(reduced, file, true);
    ASSERT_EQ(reduced.keys(), float32.keys());
    for (const std::string& name : float32.keys()) {
      ASSERT_EQ(reduced.at(name).scalar_type(), dtype) << name;
      EXPECT_TRUE(reduced.at(name).equal(float32.at(name).to(dtype))) << file << " / " << name;
    }
  }
  const StateDict half = load_checkpoint(golden_loader_file("decoder.state_dict.fp16.pt"));
  const auto bias = half.at("renderer.nerstf.mlp.6.bias").to(torch::kFloat64);
  EXPECT_EQ(bias[0].item<double>(), 58.71875);
  EXPECT_EQ(bias[1].item<double>(), -140.625);
}

TEST(CheckpointGolden, ViewsOfOneStorageBecomeIndependentContiguousTensors) {
  const StateDict views = load_checkpoint(golden_loader_file("views.pt"));
  expect_matches_manifest(views, "views.pt", true);
  const auto base = torch::arange(24, torch::kFloat32).reshape({4, 6}) * 0.5 - 3;
  EXPECT_TRUE(views.at("base").equal(base));
  EXPECT_TRUE(views.at("transposed").equal(base.t()));
  EXPECT_TRUE(views.at("slice").equal(base.flatten().slice(0, 8, 20).reshape({2, 6}).slice(1, 0, 3)));
  EXPECT_TRUE(views.at("strided").equal(base.slice(1, 1, 6, 2)));
  EXPECT_TRUE(views.at("row_expanded").equal(base[2].expand({3, 6})));
  EXPECT_TRUE(views.at("other_storage").equal(torch::tensor({1.5, -2.25, 7.0}, torch::kFloat64)));
  // Each owns its memory: writing one leaves the others alone.
  std::set<const void*> pointers;
  for (const std::string& name : views.keys()) {
    EXPECT_TRUE(views.at(name).is_contiguous()) << name;
    pointers.insert(views.at(name).data_ptr());
  }
  EXPECT_EQ(pointers.size(), views.size());
  views.at("base").fill_(0);
  EXPECT_EQ(views.at("slice")[0][0].item<float>(), 1.0f);
}

TEST(CheckpointGolden, SafetensorsEqualsTheTorchCheckpoint) {
  const StateDict safetensors = load_checkpoint(golden_loader_file("decoder.safetensors"));
  const StateDict pickled = load_checkpoint(golden_loader_file("decoder.state_dict.pt"));
  expect_matches_manifest(safetensors, "decoder.safetensors", false);
  ASSERT_EQ(safetensors.size(), pickled.size());
  for (const std::string& name : pickled.keys()) {
    ASSERT_TRUE(safetensors.contains(name)) << name;
    EXPECT_EQ(safetensors.at(name).scalar_type(), torch::kFloat32);
    EXPECT_TRUE(safetensors.at(name).equal(pickled.at(name))) << name;
  }
  // Header order, which this writer sorted by name.
  EXPECT_TRUE(std::is_sorted(safetensors.keys().begin(), safetensors.keys().end()));
}

TEST(CheckpointGolden, PlainDictWeightsLoad) {
  const StateDict weights = load_checkpoint(std::filesystem::path(SHAPE_GOLDEN_DIR) / "transformer_text.weights.pt");
  EXPECT_EQ(weights.size(), 39u);
  const StateDict state_dict = load_checkpoint(golden_loader_file("transformer_text.state_dict.pt"));
  ASSERT_EQ(weights.keys(), state_dict.keys());
  for (const std::string& name : weights.keys()) EXPECT_TRUE(weights.at(name).equal(state_dict.at(name))) << name;
}

TEST(CheckpointGolden, LegacyFormatIsRejectedWithAHint) {
  const auto path = golden_loader_file("legacy.pt");
  const std::string message = load_error(path);
  EXPECT_NE(message.find("legacy"), std::string::npos) << message;
  EXPECT_NE(message.find("torch>=1.6"), std::string::npos) << message;
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
}

// --- well-formed checkpoints built here ---

TEST(CheckpointTorchZip, AllDtypesParametersAndAnyRootFolder) {
  const std::vector<TensorSpec> specs{
      {"f64", "0", 2, {2}, {1}, 0, "DoubleStorage"},
      {"i64", "1", 3, {3}, {1}, 0, "LongStorage"},
      {"i32", "2", 2, {2}, {1}, 0, "IntStorage"},
      {"u8", "3", 4, {2, 2}, {2, 1}, 0, "ByteStorage"},
      {"b", "4", 3, {3}, {1}, 0, "BoolStorage"},
      {"f16", "5", 2, {2}, {1}, 0, "HalfStorage"},
      {"bf16", "6", 2, {1, 2}, {2, 1}, 0, "BFloat16Storage"},
  };
  const std::map<std::string, std::string> storages{
      {"0", raw_bytes(std::vector<double>{1.25, -2.5})},
      {"1", raw_bytes(std::vector<int64_t>{-1, 1LL << 40, 7})},
      {"2", raw_bytes(std::vector<int32_t>{-5, 9})},
      {"3", raw_bytes(std::vector<uint8_t>{0, 1, 200, 255})},
      {"4", raw_bytes(std::vector<uint8_t>{1, 0, 1})},
      {"5", raw_bytes(std::vector<uint16_t>{0x3C00, 0xC000})},  // 1.0, -2.0
      {"6", raw_bytes(std::vector<uint16_t>{0x3F80, 0x4040})},  // 1.0, 3.0
  };
  for (const bool zip64 : {false, true}) {
    TempDir dir;
    const auto path = dir.write("model.pt", torch_zip(state_dict_pickle(specs), storages, "my model/", zip64));
    const StateDict loaded = load_checkpoint(path);
    ASSERT_EQ(loaded.size(), specs.size());
    EXPECT_TRUE(loaded.at("f64").equal(torch::tensor({1.25, -2.5}, torch::kFloat64)));
    EXPECT_TRUE(loaded.at("i64").equal(torch::tensor({int64_t{-1}, int64_t{1} << 40, int64_t{7}}, torch::kInt64)));
    EXPECT_TRUE(loaded.at("i32").equal(torch::tensor({-5, 9}, torch::kInt32)));
    EXPECT_TRUE(loaded.at("u8").equal(torch::tensor({0, 1, 200, 255}, torch::kUInt8).reshape({2, 2})));
    EXPECT_TRUE(loaded.at("b").equal(torch::tensor({true, false, true})));
    EXPECT_TRUE(loaded.at("f16").equal(torch::tensor({1.0, -2.0}).to(torch::kFloat16)));
    EXPECT_TRUE(loaded.at("bf16").equal(torch::tensor({{1.0, 3.0}}).to(torch::kBFloat16)));
  }
}

TEST(CheckpointTorchZip, RebuildParameterAndProtocol4Opcodes) {
  PickleWriter pickle;
  pickle.proto(4).op(0x95).raw(std::string(8, '\0'));  // FRAME (size is only a hint)
  pickle.op(0x8c).op(11).raw("collections").op(0x94).op(0x8c).op(11).raw("OrderedDict").op(0x93);  // STACK_GLOBAL
  pickle.op(0x94).empty_tuple().reduce().op(0x94);
  pickle.op(0x8c).op(1).raw("w");
  pickle.global("torch._utils", "_rebuild_parameter");
  write_tensor(pickle, {"", "0", 4, {2, 2}, {2, 1}});
  pickle.op(0x88).ordered_dict().op(0x87).reduce();  // (tensor, True, OrderedDict()) via TUPLE3, NEWTRUE
  pickle.setitem().stop();
  TempDir dir;
  const auto path = dir.write("p.pt", torch_zip(pickle.bytes(), {{"0", raw_bytes(std::vector<float>{1, 2, 3, 4})}}));
  const StateDict loaded = load_checkpoint(path);
  ASSERT_EQ(loaded.keys(), std::vector<std::string>{"w"});
  EXPECT_TRUE(loaded.at("w").equal(torch::tensor({{1.0f, 2.0f}, {3.0f, 4.0f}})));
}

TEST(CheckpointTorchZip, GpuSavedTensorsLoadOnTheCpu) {
  TempDir dir;
  TensorSpec spec{"w", "0", 2, {2}, {1}};
  spec.location = "cuda:0";
  const auto path =
      dir.write("gpu.pt", torch_zip(state_dict_pickle({spec}), {{"0", raw_bytes(std::vector<float>{1, 2})}}));
  const StateDict loaded = load_checkpoint(path);
  EXPECT_TRUE(loaded.at("w").device().is_cpu());
  EXPECT_TRUE(loaded.at("w").equal(torch::tensor({1.0f, 2.0f})));
}

TEST(CheckpointTorchZip, EmptyTensorsAndEmptyStateDict) {
  TempDir dir;
  const auto empty = dir.write("e.pt", torch_zip(state_dict_pickle({}), {}));
  EXPECT_TRUE(load_checkpoint(empty).empty());
  const auto zero = dir.write("z.pt", torch_zip(state_dict_pickle({{"z", "0", 0, {0, 3}, {3, 1}}}), {{"0", ""}}));
  const StateDict loaded = load_checkpoint(zero);
  EXPECT_EQ(loaded.at("z").sizes().vec(), (std::vector<int64_t>{0, 3}));
}

// --- hostile and broken torch checkpoints ---

std::string pickle_error(const std::string& pickle, const std::map<std::string, std::string>& storages = {}) {
  TempDir dir;
  return load_error(dir.write("hostile.pt", torch_zip(pickle, storages)));
}

TEST(CheckpointHostile, DisallowedGlobalsAreNamed) {
  struct Case {
    std::string module, name, expected;
  };
  for (const Case& c : {Case{"os", "system", "os.system"}, Case{"builtins", "eval", "builtins.eval"},
                        Case{"__builtin__", "getattr", "__builtin__.getattr"}, Case{"torch", "load", "torch.load"},
                        Case{"torch._utils", "_rebuild_qtensor", "torch._utils._rebuild_qtensor"}}) {
    PickleWriter pickle;
    pickle.proto(2).global(c.module, c.name).mark().unicode("touch /tmp/pwned").tuple().reduce().stop();
    const std::string message = pickle_error(pickle.bytes());
    EXPECT_NE(message.find("disallowed global '" + c.expected), std::string::npos) << message;
  }
  // The same through STACK_GLOBAL (protocol 4).
  PickleWriter stack_global;
  stack_global.proto(4).op(0x8c).op(2).raw("os").op(0x8c).op(6).raw("system").op(0x93).stop();
  EXPECT_NE(pickle_error(stack_global.bytes()).find("os.system"), std::string::npos);
}

TEST(CheckpointHostile, UnsupportedOpcodeIsNamed) {
  PickleWriter pickle;
  pickle.proto(2).op('i').raw("os\nsystem\n").stop();  // INST
  const std::string message = pickle_error(pickle.bytes());
  EXPECT_NE(message.find("unsupported pickle opcode 0x69"), std::string::npos) << message;
}

TEST(CheckpointHostile, HugeStorageIsRefusedWithoutAllocating) {
  const std::string message = pickle_error(state_dict_pickle({{"w", "0", int64_t{1} << 60, {4}, {1}}}),
                                           {{"0", raw_bytes(std::vector<float>{1, 2, 3, 4})}});
  EXPECT_NE(message.find("storage"), std::string::npos) << message;
  const std::string overflow = pickle_error(state_dict_pickle({{"w", "0", int64_t{1} << 62, {4}, {1}}}),
                                            {{"0", raw_bytes(std::vector<float>{1, 2, 3, 4})}});
  EXPECT_NE(overflow.find("overflows"), std::string::npos) << overflow;
}

TEST(CheckpointHostile, MissingStorageRecord) {
  const std::string message = pickle_error(state_dict_pickle({{"w", "7", 4, {4}, {1}}}));
  EXPECT_NE(message.find("storage '7'"), std::string::npos) << message;
  EXPECT_NE(message.find("missing"), std::string::npos) << message;
}

TEST(CheckpointHostile, ViewsOutsideTheirStorage) {
  const std::string bytes = raw_bytes(std::vector<float>{1, 2, 3, 4, 5, 6});
  const std::vector<TensorSpec> bad{
      {"offset_past_end", "0", 6, {1}, {1}, 6},         {"too_long", "0", 6, {7}, {1}},
      {"stride_too_big", "0", 6, {2, 3}, {3, 2}},       {"empty_past_end", "0", 6, {0}, {1}, 7},
      {"huge_stride", "0", 6, {2}, {int64_t{1} << 62}}, {"overflowing", "0", 6, {3}, {INT64_MAX}},
  };
  for (const TensorSpec& spec : bad) {
    const std::string message = pickle_error(state_dict_pickle({spec}), {{"0", bytes}});
    EXPECT_NE(message.find(spec.name), std::string::npos) << message;
  }
  // Stride 0 may not blow a tiny file up into gigabytes.
  const std::string expanded =
      pickle_error(state_dict_pickle({{"e", "0", 6, {int64_t{1} << 30}, {0}}}), {{"0", bytes}});
  EXPECT_NE(expanded.find("expand"), std::string::npos) << expanded;
}

TEST(CheckpointHostile, StorageSizeMustMatchItsRecord) {
  const std::string message =
      pickle_error(state_dict_pickle({{"w", "0", 4, {4}, {1}}}), {{"0", raw_bytes(std::vector<float>{1, 2, 3})}});
  EXPECT_NE(message.find("needs 16"), std::string::npos) << message;
  const std::string inconsistent = pickle_error(state_dict_pickle({{"a", "0", 4, {4}, {1}}, {"b", "0", 3, {3}, {1}}}),
                                                {{"0", raw_bytes(std::vector<float>{1, 2, 3, 4})}});
  EXPECT_NE(inconsistent.find("inconsistent"), std::string::npos) << inconsistent;
}

TEST(CheckpointHostile, NonTensorEntriesAreNamed) {
  PickleWriter pickle;
  pickle.proto(2).empty_dict().mark().unicode("w");
  write_tensor(pickle, {"", "0", 1, {1}, {1}});
  pickle.unicode("epoch").integer(5).setitems().stop();
  const std::string message = pickle_error(pickle.bytes(), {{"0", raw_bytes(std::vector<float>{1})}});
  EXPECT_NE(message.find("'epoch' is an int, not a tensor"), std::string::npos) << message;

  PickleWriter nested;
  nested.proto(2).empty_dict().unicode("state_dict").empty_dict().setitem().stop();
  EXPECT_NE(pickle_error(nested.bytes()).find("'state_dict' is a dict"), std::string::npos);

  PickleWriter list;
  list.proto(2).op(']').stop();
  EXPECT_NE(pickle_error(list.bytes()).find("holds a list"), std::string::npos);
}

TEST(CheckpointHostile, MalformedPickles) {
  const auto opcode = [](std::initializer_list<int> bytes) {
    std::string out;
    for (const int byte : bytes) out += static_cast<char>(byte);
    return out;
  };
  const std::vector<std::pair<std::string, std::string>> cases{
      {opcode({0x80, 2, '}'}), "without a STOP"},
      {opcode({0x80, 2, 'X', 0xFF, 0xFF, 0xFF, 0xFF, 'a', '.'}), "runs past the end"},
      {opcode({0x80, 2, 0x8b, 0xFF, 0xFF, 0xFF, 0x7F, '.'}), "truncated"},
      {opcode({0x80, 2, 0x8a, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, '.'}), "64 bits"},
      {opcode({0x80, 2, '}', '}', '.'}), "STOP with 2 objects"},
      {opcode({0x80, 2, 's', '.'}), "underflow"},
      {opcode({0x80, 2, '(', '}', 's', '.'}), "underflow"},
      {opcode({0x80, 2, 'h', 3, '.'}), "never stored"},
      {opcode({0x80, 2, '}', 'u', '.'}), "no MARK"},
      {opcode({0x80, 9, '}', '.'}), "protocol 9"},
      {opcode({0x80, 2, ')', ')', 'b', '.'}), "BUILD of a tuple"},
      {opcode({0x80, 2, ')', ')', 'a', '.'}), "APPEND on a tuple"},
      {opcode({0x80, 2, ')', ')', 'R', '.'}), "REDUCE calls a tuple"},
      {opcode({0x80, 2, 'c', 'o', 's'}), "newline"},
      {opcode({0x80, 2, 'K', 1, 'Q', '.'}), "persistent id"},
      {opcode({0x80, 2, '}', 'K', 1, 'K', 2, 's', '.'}), "key that is an int"},
      {opcode({0x80, 2, ']', 'q', 0, 'h', 0, 'a', '.'}), "holds a list"},  // a list holding itself
  };
  for (const auto& [pickle, expected] : cases) {
    const std::string message = pickle_error(pickle);
    EXPECT_NE(message.find(expected), std::string::npos) << "expected '" << expected << "' in: " << message;
  }
  PickleWriter duplicate;
  duplicate.proto(2).empty_dict().mark();
  for (int i = 0; i < 2; ++i) write_tensor(duplicate.unicode("w"), {"", "0", 1, {1}, {1}});
  duplicate.setitems().stop();
  EXPECT_NE(pickle_error(duplicate.bytes(), {{"0", raw_bytes(std::vector<float>{1})}}).find("duplicate"),
            std::string::npos);
  PickleWriter hooks;  // backward hooks would be code
  hooks.proto(2).empty_dict().unicode("w").global("torch._utils", "_rebuild_tensor_v2").mark();
  hooks.mark().unicode("storage").global("torch", "FloatStorage").unicode("0").unicode("cpu").integer(1).tuple();
  hooks.binpersid().integer(0).int_tuple({1}).int_tuple({1}).newfalse().empty_dict().integer(1).integer(2).setitem();
  hooks.tuple().reduce().setitem().stop();
  EXPECT_NE(pickle_error(hooks.bytes(), {{"0", raw_bytes(std::vector<float>{1})}}).find("hooks"), std::string::npos);
}

TEST(CheckpointHostile, ResourceLimitsHoldWithoutRecursionOrBlowup) {
  std::string deep = "\x80\x02)";  // a million nested 1-tuples, one byte each
  deep += std::string(1'000'000, '\x85');
  deep += '.';
  EXPECT_NE(pickle_error(deep).find("holds a tuple"), std::string::npos);
  std::string wide = "\x80\x02";  // more stack entries than allowed
  wide += std::string(1'200'000, 'N');
  wide += '.';
  EXPECT_NE(pickle_error(wide).find("too deep"), std::string::npos);
  std::string many = "\x80\x02";  // more objects than allowed
  for (int i = 0; i < 1'100'000; ++i) many += "}0";
  many += "}.";
  EXPECT_NE(pickle_error(many).find("too many objects"), std::string::npos);
}

TEST(CheckpointHostile, ZipRecordProblems) {
  TempDir dir;
  const std::string pickle = state_dict_pickle({{"w", "0", 1, {1}, {1}}});
  const std::string storage = raw_bytes(std::vector<float>{1});
  const auto zip_error = [&](const std::vector<ZipRecord>& records) {
    return load_error(dir.write("z.pt", make_zip(records)));
  };

  EXPECT_NE(zip_error({{"a/data.pkl", pickle, 8}, {"a/data/0", storage}}).find("compressed (method 8)"),
            std::string::npos);
  EXPECT_NE(zip_error({{"a/data.pkl", pickle}, {"a/data/0", storage}, {"a/byteorder", "big"}}).find("big-endian"),
            std::string::npos);
  EXPECT_NO_THROW(load_checkpoint(dir.write("le.pt", make_zip({{"a/data.pkl", pickle},
                                                               {"a/data/0", storage},
                                                               {"a/byteorder", "little"},
                                                               {"a/.data/serialization_id", "123"}}))));
  EXPECT_NE(zip_error({{"a/data/0", storage}}).find("no <folder>/data.pkl"), std::string::npos);
  EXPECT_NE(zip_error({{"a/data.pkl", pickle}, {"b/data.pkl", pickle}}).find("several"), std::string::npos);
  EXPECT_NE(zip_error({{"a/data.pkl", pickle}, {"a/data.pkl", pickle}}).find("duplicate entry"), std::string::npos);

  // A local header offset past the entry area (the central directory has no checksum).
  std::string bad_offset = make_zip({{"a/data.pkl", pickle}, {"a/data/0", storage}});
  const size_t last_central_header = bad_offset.rfind(std::string("PK\x01\x02", 4));
  bad_offset.replace(last_central_header + 42, 4, std::string("\x00\x00\x00\x7f", 4));
  EXPECT_NE(load_error(dir.write("offset.pt", bad_offset)).find("local header of 'a/data/0' is out of range"),
            std::string::npos);

  // A flipped bit in a storage or in data.pkl is caught by the CRC.
  std::string zip = make_zip({{"a/data.pkl", pickle}, {"a/data/0", storage}});
  std::string flipped = zip;
  flipped[zip.find(storage, 30 + 10 + pickle.size())] ^= 0x10;
  EXPECT_NE(load_error(dir.write("crc.pt", flipped)).find("CRC-32 mismatch in zip entry 'a/data/0'"),
            std::string::npos);
  flipped = zip;
  flipped[zip.find("_rebuild_tensor_v2")] ^= 0x01;
  EXPECT_NE(load_error(dir.write("crc2.pt", flipped)).find("CRC-32 mismatch in zip entry 'a/data.pkl'"),
            std::string::npos);
}

// --- files that are not checkpoints ---

TEST(CheckpointFiles, MissingEmptyDirectoryAndRandomFiles) {
  TempDir dir;
  const auto missing = dir.path() / "missing.pt";
  std::string message = load_error(missing);
  EXPECT_NE(message.find(missing.string()), std::string::npos) << message;
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;

  message = load_error(dir.write("empty.pt", ""));
  EXPECT_NE(message.find("empty"), std::string::npos) << message;
  EXPECT_NE(message.find("empty.pt"), std::string::npos) << message;

  message = load_error(dir.path());
  EXPECT_NE(message.find("directory"), std::string::npos) << message;

  std::mt19937 random(7);
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(random() & 0xFF);
  noise[0] = 'Z';
  message = load_error(dir.write("noise.bin", noise));
  EXPECT_NE(message.find("not a PyTorch or safetensors checkpoint"), std::string::npos) << message;
  message = load_error(dir.write("tiny.bin", "PK"));
  EXPECT_NE(message.find("not a PyTorch"), std::string::npos) << message;
  message = load_error(dir.write("zip.bin", std::string("PK\x03\x04", 4) + noise));
  EXPECT_NE(message.find("end-of-central-directory"), std::string::npos) << message;
}

TEST(CheckpointFiles, MemoryEntryBehavesLikeTheFile) {
  const std::string bytes = read_file(golden_loader_file("views.pt"));
  const StateDict from_memory = checkpoint_detail::load_checkpoint_from_memory(bytes.data(), bytes.size(), "views.pt");
  const StateDict from_file = load_checkpoint(golden_loader_file("views.pt"));
  ASSERT_EQ(from_memory.keys(), from_file.keys());
  for (const auto& name : from_file.keys()) EXPECT_TRUE(from_memory.at(name).equal(from_file.at(name)));
  const std::string message =
      checkpoint_error_of([&] { checkpoint_detail::load_checkpoint_from_memory(bytes.data(), 10, "cut"); });
  EXPECT_EQ(message.rfind("cut: ", 0), 0u) << message;
}

// --- safetensors ---

std::string safetensors_error(const std::string& header, const std::string& data) {
  TempDir dir;
  return load_error(dir.write("t.safetensors", safetensors_file(header, data)));
}

TEST(CheckpointSafetensors, DtypesOrderAndMetadata) {
  const std::string data = raw_bytes(std::vector<int64_t>{-3, 4}) + raw_bytes(std::vector<int32_t>{7}) +
                           raw_bytes(std::vector<uint8_t>{1, 0, 255, 0});
  const std::string header =
      R"({"__metadata__":{"format":"pt"},"z":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},)"
      R"("a":{"dtype":"I32","shape":[],"data_offsets":[16,20]},"m":{"dtype":"BOOL","shape":[2],"data_offsets":[20,22]},)"
      R"("u":{"dtype":"U8","shape":[1,2],"data_offsets":[22,24]},"e":{"dtype":"F16","shape":[0],"data_offsets":[24,24]}}   )";
  TempDir dir;
  const StateDict loaded = load_checkpoint(dir.write("t.safetensors", safetensors_file(header, data)));
  EXPECT_EQ(loaded.keys(), (std::vector<std::string>{"z", "a", "m", "u", "e"}));
  EXPECT_TRUE(loaded.at("z").equal(torch::tensor({int64_t{-3}, int64_t{4}})));
  EXPECT_EQ(loaded.at("a").dim(), 0);
  EXPECT_EQ(loaded.at("a").item<int32_t>(), 7);
  EXPECT_TRUE(loaded.at("m").equal(torch::tensor({true, false})));
  EXPECT_TRUE(loaded.at("u").equal(torch::tensor({255, 0}, torch::kUInt8).reshape({1, 2})));
  EXPECT_EQ(loaded.at("e").scalar_type(), torch::kFloat16);
}

TEST(CheckpointSafetensors, BrokenHeadersAreRejected) {
  const std::string data(16, '\0');
  const std::vector<std::pair<std::string, std::string>> cases{
      {R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]})", "invalid JSON"},
      {R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},})", "invalid JSON"},
      {R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,20]}})", "outside"},
      {R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[8,4]}})", "outside"},
      {R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})", "needs 12"},
      {R"({"w":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}})", "unsupported dtype 'F8_E4M3'"},
      {R"({"w":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}})", "negative"},
      {R"({"w":{"dtype":"F32","shape":4,"data_offsets":[0,16]}})", "expected an array"},
      {R"({"w":{"dtype":"F32","shape":[4]}})", "data_offsets"},
      {R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16,3]}})", "[begin, end]"},
      {R"({"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,16]}})", "integer"},
      {R"({"w":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,16]}})", "integer"},
      {R"({"w":{"dtype":"F32","shape":[4611686018427387904,8],"data_offsets":[0,16]}})", "overflows"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
       "overlap"},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
       "duplicate key"},
      {R"({"w":1})", "expected an object"},
      {R"(["w"])", "not a PyTorch or safetensors checkpoint"},
      {"{\"w\xff\":1}", "UTF-8"},
  };
  for (const auto& [header, expected] : cases) {
    const std::string message = safetensors_error(header, data);
    EXPECT_NE(message.find(expected), std::string::npos) << "expected '" << expected << "' in: " << message;
  }
  TempDir dir;
  std::string too_long;
  append_le(too_long, 1000, 8);
  too_long += "{}";
  EXPECT_NE(load_error(dir.write("long.safetensors", too_long)).find("runs past the end"), std::string::npos);
  std::string huge;
  append_le(huge, uint64_t{1} << 40, 8);
  huge += "{}";
  EXPECT_NE(load_error(dir.write("huge.safetensors", huge)).find("100 MB"), std::string::npos);
}

// --- the JSON parser ---

TEST(CheckpointJson, ParsesStrictJson) {
  const JsonValue value =
      parse_json(R"( {"a": [1, -2.5e3, true, false, null], "b": "x\"\u00e9\ud83d\ude00\n", "c": {}} )");
  ASSERT_TRUE(value.is_object());
  const auto& array = value.at("a").as_array();
  ASSERT_EQ(array.size(), 5u);
  EXPECT_EQ(array[0].as_int64(), 1);
  EXPECT_EQ(array[1].as_double(), -2500.0);
  EXPECT_THROW(array[1].as_int64(), checkpoint_detail::FormatError);
  EXPECT_TRUE(array[2].as_bool());
  EXPECT_TRUE(array[4].is_null());
  EXPECT_EQ(value.at("b").as_string(), "x\"\xc3\xa9\xf0\x9f\x98\x80\n");
  EXPECT_TRUE(value.at("c").as_object().empty());
  EXPECT_EQ(parse_json("0.1").as_double(), 0.1);
  EXPECT_EQ(parse_json("-9223372036854775808").as_int64(), INT64_MIN);
}

TEST(CheckpointJson, RejectsInvalidJson) {
  for (const std::string text :
       {"", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "+1", "1e", "tru", "\"\\x\"", "\"\\ud800\"", "\"a\nb\"",
        "{\"a\" 1}", "[1] [2]", "nan", "// c\n1", "\"\xc0\x80\"", "1e999"}) {
    EXPECT_THROW(parse_json(text), checkpoint_detail::FormatError) << text;
  }
  EXPECT_THROW(parse_json(std::string(100, '[') + std::string(100, ']')), checkpoint_detail::FormatError);
  EXPECT_NO_THROW(parse_json(std::string(60, '[') + std::string(60, ']')));
}

}  // namespace
}  // namespace shape
