// Parsing of shap-e's Transmitter YAML for decoding.
#include <gtest/gtest.h>

#include "decoder_golden.h"
#include "inference/decoder/decoder_config.h"

namespace shape {
namespace {

std::string resource_config(const std::string& name) { return std::string(SHAPE_RESOURCES_DIR) + "/configs/" + name; }

std::string config_error(const std::string& yaml) {
  try {
    parse_decoder_config(yaml, "test.yaml");
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

// The golden YAML with `from` replaced by `to` (the text must occur).
std::string golden_with(const std::string& from, const std::string& to) {
  std::string yaml = testing::kGoldenDecoderYaml;
  const auto at = yaml.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? yaml : yaml.replace(at, from.size(), to);
}

TEST(DecoderConfig, LoadsShippedTransmitterAtFullSize) {
  const auto config = load_decoder_config(resource_config("transmitter.yaml"));
  EXPECT_EQ(config.d_latent, 1024);
  EXPECT_EQ(config.latent_ctx(), 1024);
  EXPECT_EQ(config.flat_latent_size(), 1024 * 1024);
  EXPECT_EQ(config.nerstf.d_hidden, 256);
  EXPECT_EQ(config.nerstf.n_hidden_layers, 6);
  EXPECT_EQ(config.nerstf.insert_direction_at, 4);
  EXPECT_EQ(config.nerstf.meta_start, 0);
  EXPECT_EQ(config.nerstf.meta_stop, 3);
  EXPECT_FALSE(config.nerstf.meta_bias);
  EXPECT_EQ(config.nerstf.density_activation, "relu");
  EXPECT_EQ(config.grid_size, 128);
  EXPECT_EQ(config.n_coarse_samples, 64);
  EXPECT_EQ(config.n_fine_samples, 128);
  EXPECT_TRUE(config.params_proj.use_ln);
  EXPECT_EQ(config.void_background[0], 255.0f);
  EXPECT_EQ(config.latent_warp, "identity");

  const auto tensors = config.meta_tensors();
  ASSERT_EQ(tensors.size(), 4u);
  EXPECT_EQ(tensors[0].name, "nerstf.mlp.0.weight");
  EXPECT_EQ(tensors[0].shape, (std::vector<int64_t>{256, 93}));
  EXPECT_EQ(tensors[3].name, "nerstf.mlp.3.weight");
  EXPECT_EQ(tensors[3].vectors, 256);
  EXPECT_EQ(tensors[3].channels, 256);
  EXPECT_EQ(nerstf_layer_input_widths(config.nerstf), (std::vector<int64_t>{93, 256, 256, 256, 307, 256, 256}));
  EXPECT_EQ(nerstf_layer_output_widths(config.nerstf).back(), 12);
}

TEST(DecoderConfig, GoldenConfigGivesTheGoldenLatentLayout) {
  const auto config = testing::golden_decoder_config();
  EXPECT_EQ(config.latent_ctx(), 256);
  EXPECT_EQ(config.flat_latent_size(), 4096);
  EXPECT_EQ(config.meta_tensors()[0].shape, (std::vector<int64_t>{64, 93}));
}

TEST(DecoderConfig, AcceptsEncoderTrunkKeysButRejectsUnknownOnes) {
  // The perceiver trunk of transmitter.yaml parses (above); a typo anywhere is named.
  EXPECT_NE(config_error(golden_with("  n_ctx: 4", "  n_ctxx: 4")).find("'n_ctxx'"), std::string::npos);
  EXPECT_NE(config_error(golden_with("    d_hidden: 64", "    d_hidden: 64\n    bogus_option: 1")).find("'bogus_option'"),
            std::string::npos);
  EXPECT_NE(config_error(golden_with("  grid_size: 32", "  grid_size: 32\n  grid_sise: 3")).find("'grid_sise'"),
            std::string::npos);
  EXPECT_NE(config_error(golden_with("    use_ln: true", "    use_ln: true\n    scale: 2")).find("'scale'"),
            std::string::npos);
}

TEST(DecoderConfig, RejectsUnsupportedChoicesWithAReason) {
  EXPECT_NE(config_error(golden_with("posenc_version: nerf", "posenc_version: v1")).find("posenc_version"),
            std::string::npos);
  EXPECT_NE(config_error(golden_with("PointCloudTransformerChannelsEncoder", "PointCloudTransformerEncoder"))
                .find("channels encoders"),
            std::string::npos);
  EXPECT_NE(config_error(golden_with("name: channels", "name: linear")).find("params_proj"), std::string::npos);
  EXPECT_NE(config_error(golden_with("activation: swish", "activation: mish")).find("'mish'"), std::string::npos);
  EXPECT_NE(config_error(golden_with("d_hidden: 64", "d_hidden: -1")).find("d_hidden"), std::string::npos);
  EXPECT_NE(config_error(golden_with("name: Transmitter", "name: VectorDecoder")).find("Transmitter"), std::string::npos);
  EXPECT_NE(config_error("name: Transmitter\nrenderer: {}\n").find("encoder"), std::string::npos);
  EXPECT_NE(config_error("name: [unclosed").find("invalid YAML"), std::string::npos);
}

TEST(DecoderConfig, WorksForOtherSizes) {
  auto yaml = golden_with("d_hidden: 64", "d_hidden: 48");
  const auto at = yaml.find("n_meta_layers: 4");
  yaml.replace(at, 16, "n_meta_layers: 2");
  const auto config = parse_decoder_config(yaml, "test.yaml");
  EXPECT_EQ(config.latent_ctx(), 96);
  EXPECT_EQ(config.meta_tensors().size(), 2u);
}

TEST(DecoderConfig, OutputLayoutFollowsTheOfficialIndexMapping) {
  NerstfMlpConfig config;
  config.separate_nerf_channels = true;
  config.separate_coarse_channels = true;
  auto layout = nerstf_output_layout(config);
  EXPECT_EQ(layout.width, 12);
  EXPECT_EQ(layout.density_fine.begin, 2);
  EXPECT_EQ(layout.stf.begin, 3);
  EXPECT_EQ(layout.nerf_fine.begin, 9);

  config.separate_coarse_channels = false;
  layout = nerstf_output_layout(config);
  EXPECT_EQ(layout.width, 8);
  EXPECT_EQ(layout.density_fine.begin, 1);
  EXPECT_EQ(layout.nerf_coarse.begin, 5);

  config.direction_dependent_shape = false;
  layout = nerstf_output_layout(config);
  EXPECT_TRUE(layout.sdf.directionless);
  EXPECT_EQ(layout.stf.begin, 0);
  EXPECT_EQ(layout.width, 6);
}

}  // namespace
}  // namespace shape
