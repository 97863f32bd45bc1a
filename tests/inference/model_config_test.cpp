#include <gtest/gtest.h>

#include "inference/config/model_config.h"

namespace shape {
namespace {

std::string resource_config(const std::string& name) { return std::string(SHAPE_RESOURCES_DIR) + "/configs/" + name; }

std::string config_error(const std::string& yaml) {
  try {
    parse_diffusion_transformer_config(yaml, "test.yaml");
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

TEST(ModelConfig, LoadsShippedText300M) {
  const auto config = load_diffusion_transformer_config(resource_config("text300M.yaml"));
  EXPECT_EQ(config.conditioning, ConditioningKind::kClipEmbedding);
  EXPECT_EQ(config.d_latent, 1048576);
  EXPECT_EQ(config.latent_ctx, 1024);
  EXPECT_EQ(config.latent_channels(), 1024);
  EXPECT_EQ(config.width, 1024);
  EXPECT_EQ(config.layers, 24);
  EXPECT_EQ(config.heads, 16);
  EXPECT_TRUE(config.token_cond);
  EXPECT_TRUE(config.time_token_cond);
  EXPECT_TRUE(config.use_pos_emb);
  EXPECT_DOUBLE_EQ(config.cond_drop_prob, 0.1);
}

TEST(ModelConfig, LoadsShippedImage300M) {
  const auto config = load_diffusion_transformer_config(resource_config("image300M.yaml"));
  EXPECT_EQ(config.conditioning, ConditioningKind::kClipGrid);
  EXPECT_FALSE(config.token_cond);
  EXPECT_EQ(config.layers, 24);
}

TEST(ModelConfig, LoadsShippedDiffusionConfig) {
  const auto config = load_diffusion_config(resource_config("diffusion.yaml"));
  EXPECT_EQ(config.schedule, "exp");
  EXPECT_EQ(config.timesteps, 1024);
  EXPECT_EQ(config.mean_type, "x_start");
}

TEST(ModelConfig, UnknownKeysAreNamed) {
  const auto message = config_error(R"(
name: SplitVectorDiffusion
d_latent: 64
latent_ctx: 8
extra_outer: 1
inner:
  name: CLIPImagePointDiffusionTransformer
  widht: 64
)");
  // The inner mapping is checked first, then the outer one.
  EXPECT_NE(message.find("'widht'"), std::string::npos) << message;
  EXPECT_NE(message.find("inner"), std::string::npos) << message;
}

// Found by tests/fuzz/config_fuzz.cpp: a key that is itself a list or mapping threw yaml-cpp's
// conversion error instead of a ConfigError.
TEST(ModelConfig, KeysThatAreNotNamesAreExplained) {
  for (const std::string key : {"? [a, b]", "{a: b}"}) {
    const auto message = config_error("name: SplitVectorDiffusion\nd_latent: 64\nlatent_ctx: 8\n"
                                      "inner: {name: CLIPImagePointDiffusionTransformer}\n" + key + ": 1\n");
    EXPECT_NE(message.find("a key that is not a name (line 5)"), std::string::npos) << message;
  }
}

TEST(ModelConfig, UnknownOuterKeyIsNamed) {
  const auto message = config_error(R"(
name: SplitVectorDiffusion
d_latent: 64
latent_ctx: 8
extra_outer: 1
inner:
  name: CLIPImagePointDiffusionTransformer
)");
  EXPECT_NE(message.find("'extra_outer'"), std::string::npos) << message;
}

TEST(ModelConfig, MissingRequiredKeysAreNamed) {
  EXPECT_NE(config_error("name: SplitVectorDiffusion\ninner: {name: CLIPImagePointDiffusionTransformer}\n")
                .find("missing required key 'd_latent'"),
            std::string::npos);
  EXPECT_NE(config_error("name: SplitVectorDiffusion\nd_latent: 8\n").find("missing required key 'inner'"),
            std::string::npos);
}

TEST(ModelConfig, BadValuesAreExplained) {
  EXPECT_NE(config_error("name: SplitVectorDiffusion\nd_latent: abc\ninner: {name: CLIPImagePointDiffusionTransformer}\n")
                .find("'d_latent' has a value of the wrong type"),
            std::string::npos);
  EXPECT_NE(config_error("name: SplitVectorDiffusion\nd_latent: 10\nlatent_ctx: 3\ninner: {name: CLIPImagePointDiffusionTransformer}\n")
                .find("not a multiple of latent_ctx"),
            std::string::npos);
  EXPECT_NE(config_error("name: Transmitter\n").find("only SplitVectorDiffusion"), std::string::npos);
  EXPECT_NE(config_error("name: [unclosed\n").find("invalid YAML"), std::string::npos);
  EXPECT_NE(config_error("name: SplitVectorDiffusion\nd_latent: 64\ninner: {name: CLIPImagePointDiffusionTransformer, width: 10, heads: 4}\n")
                .find("not a multiple of heads"),
            std::string::npos);
}

TEST(ModelConfig, MissingFileIsNamed) {
  try {
    load_diffusion_transformer_config("/nonexistent/model.yaml");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/model.yaml"), std::string::npos);
  }
}

TEST(DiffusionConfig, RejectsUnknownAndUnsupportedKeys) {
  EXPECT_THROW(parse_diffusion_config("schedule: exp\ntimesteps: 1024\nmean_typ: x_start\n", "d.yaml"), ConfigError);
  EXPECT_THROW(parse_diffusion_config("schedule: exp\ntimesteps: 1024\nrespacing: '64'\n", "d.yaml"), ConfigError);
  EXPECT_THROW(parse_diffusion_config("schedule: quadratic\ntimesteps: 1024\n", "d.yaml"), ConfigError);
  const auto config = parse_diffusion_config("schedule: inv_parabola\nschedule_args: {power: 5.0}\ntimesteps: 16\n", "d.yaml");
  EXPECT_DOUBLE_EQ(config.schedule_power, 5.0);
  EXPECT_EQ(config.mean_type, "epsilon");  // shap-e's default
}

}  // namespace
}  // namespace shape
