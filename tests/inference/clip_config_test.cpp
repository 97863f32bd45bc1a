// CLIP dimensions: from the JSON of clip.model.CLIP's arguments and inferred like clip.build_model.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "golden.h"
#include "inference/checkpoint/json_parser.h"
#include "inference/clip/clip_config.h"
#include "inference/clip/clip_weights.h"

namespace shape {
namespace {

// clip.json: clip_config.
ClipConfig golden_clip_config() {
  ClipConfig config;
  config.embed_dim = 768;
  config.image_resolution = 224;
  config.vision_layers = 2;
  config.vision_width = 64;
  config.vision_patch_size = 14;
  config.context_length = 77;
  config.vocab_size = 49408;
  config.transformer_width = 32;
  config.transformer_heads = 2;
  config.transformer_layers = 2;
  return config;
}

// What e2e.clip.json (shared golden data) looks like: the CLIP arguments plus a comment.
constexpr const char* kE2eClipJson = R"json({
 "embed_dim": 768, "image_resolution": 224, "vision_layers": 2, "vision_width": 64, "vision_patch_size": 14,
 "context_length": 77, "vocab_size": 49408, "transformer_width": 32, "transformer_heads": 2, "transformer_layers": 2,
 "_note": "arguments of clip.model.CLIP(...)"
})json";

std::string read_text(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
}

std::string config_error(const std::string& json) {
  try {
    parse_clip_config_json(json, "test.json");
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

TEST(ClipConfig, DefaultsAreVitL14) {
  const ClipConfig config;
  EXPECT_EQ(config.vision_heads(), 16);
  EXPECT_EQ(config.grid_size(), 16);
  EXPECT_EQ(config.grid_tokens(), 256);
  EXPECT_EQ(config.grid_feature_dim(), 1024);
  EXPECT_EQ(config.embed_dim, 768);
  EXPECT_NO_THROW(config.validate("ViT-L/14"));
}

TEST(ClipConfig, ReadsTheGoldenConfigJson) {
  const auto root = checkpoint_detail::parse_json(read_text(testing::golden_path("clip.json")));
  const ClipConfig config = clip_config_from_json(root.at("clip_config"), "clip.json");
  EXPECT_EQ(config, golden_clip_config()) << to_string(config);
  EXPECT_EQ(config.vision_heads(), 1);
  EXPECT_EQ(config.grid_size(), 16);
  EXPECT_EQ(config.grid_tokens(), 256);
  EXPECT_EQ(config.grid_feature_dim(), 64);
  EXPECT_EQ(parse_clip_config_json(kE2eClipJson, "e2e.clip.json"), golden_clip_config());
}

// kE2eClipJson with `from` replaced by `to`.
std::string edited(const std::string& from, const std::string& to) {
  std::string json = kE2eClipJson;
  return json.replace(json.find(from), from.size(), to);
}

TEST(ClipConfig, RejectsBadJson) {
  EXPECT_NE(config_error("{").find("invalid JSON"), std::string::npos);
  EXPECT_NE(config_error("[]").find("JSON object"), std::string::npos);
  EXPECT_NE(config_error(edited("\"_note\"", "\"notes\"")).find("unknown CLIP config key 'notes'"), std::string::npos);
  EXPECT_NE(config_error(R"({"embed_dim": 768})").find("lacks 'image_resolution'"), std::string::npos);
  EXPECT_NE(config_error(edited("\"vision_layers\": 2", "\"vision_layers\": [3, 4, 6, 3]")).find("ResNet"),
            std::string::npos);
  EXPECT_NE(config_error(edited("224", "22.4")).find("must be an integer"), std::string::npos);
  EXPECT_NE(config_error(edited("\"transformer_heads\": 2", "\"transformer_heads\": 3")).find("not a multiple of"),
            std::string::npos);
  EXPECT_NE(config_error(edited("\"vision_width\": 64", "\"vision_width\": 32")).find("vision_width"),
            std::string::npos);
  EXPECT_NE(config_error(edited("\"vocab_size\": 49408", "\"vocab_size\": 0")).find("'vocab_size' must be positive"),
            std::string::npos);
  EXPECT_THROW(load_clip_config_json("/nonexistent/clip.json"), ConfigError);
}

TEST(ClipConfig, InferredFromGoldenWeightsLikeBuildModel) {
  for (const char* file : {"clip.weights.pt", "clip.jit.pt"}) {
    const StateDict weights = load_clip_weights(testing::golden_path(file));
    // build_model's heads = width / 64 is 0 for this 32-wide test model: the head count must be given.
    EXPECT_EQ(infer_clip_config(weights, 2), golden_clip_config()) << file;
    try {
      infer_clip_config(weights);
      FAIL() << "no error for " << file;
    } catch (const ConfigError& error) {
      EXPECT_NE(std::string(error.what()).find("pass the text head count"), std::string::npos) << error.what();
    }
  }
}

TEST(ClipConfig, InferenceUsesWidthOver64ForHeadsLikeTheReleasedModels) {
  // A ViT-L/14-shaped state dict needs no tensors beyond the ones build_model reads.
  StateDict weights;
  weights.insert("visual.proj", torch::zeros({1024, 768}));
  weights.insert("visual.conv1.weight", torch::zeros({1024, 3, 14, 14}));
  weights.insert("visual.positional_embedding", torch::zeros({257, 1024}));
  for (int i = 0; i < 24; ++i)
    weights.insert("visual.transformer.resblocks." + std::to_string(i) + ".attn.in_proj_weight", torch::zeros({1}));
  for (int i = 0; i < 12; ++i)
    weights.insert("transformer.resblocks." + std::to_string(i) + ".ln_1.weight", torch::zeros({1}));
  weights.insert("text_projection", torch::zeros({768, 768}));
  weights.insert("positional_embedding", torch::zeros({77, 768}));
  weights.insert("token_embedding.weight", torch::zeros({49408, 768}));
  weights.insert("ln_final.weight", torch::zeros({768}));
  EXPECT_EQ(infer_clip_config(weights), ClipConfig()) << to_string(infer_clip_config(weights));
}

TEST(ClipConfig, InferenceNamesWhatIsMissing) {
  StateDict weights;
  EXPECT_THROW(infer_clip_config(weights), ConfigError);
  weights.insert("visual.proj", torch::zeros({64, 768}));
  try {
    infer_clip_config(weights);
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("visual.conv1.weight"), std::string::npos) << error.what();
  }
  weights.insert("visual.conv1.weight", torch::zeros({64, 3, 14, 14}));
  weights.insert("visual.positional_embedding", torch::zeros({200, 64}));  // not a square grid + 1
  try {
    infer_clip_config(weights);
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("square grid"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace shape
