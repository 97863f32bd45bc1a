// The decoder module tree: checkpoint binding with the official key names, the full-size config,
// and trainability.
#include "decoder_golden.h"

namespace shape {
namespace {

using testing::all_close;

std::string resource_config(const std::string& name) { return std::string(SHAPE_RESOURCES_DIR) + "/configs/" + name; }

TEST(Decoder, BindsGoldenWeightsByOfficialNamesAndReportsTheEncoderTrunk) {
  ShapeDecoder decoder(testing::golden_decoder_config());
  const auto weights = load_checkpoint(testing::golden_path("decoder.weights.pt"));
  const auto report = bind_decoder_weights(*decoder, weights);
  // 16 params_proj tensors + 7 weights + 7 biases + the background.
  EXPECT_EQ(report.bound, 31u);
  EXPECT_EQ(report.bound + report.ignored_keys.size(), weights.size());
  for (const auto& key : report.ignored_keys) {
    EXPECT_EQ(key.rfind("encoder.", 0), 0u) << key;
    EXPECT_EQ(key.find("params_proj"), std::string::npos) << key;
  }
  // Meta weights are buffers, everything else a parameter.
  const auto buffers = decoder->named_buffers();
  EXPECT_TRUE(buffers.contains("renderer.nerstf.mlp.0.weight"));
  EXPECT_TRUE(buffers.contains("renderer.void.background"));
  EXPECT_TRUE(decoder->named_parameters().contains("renderer.nerstf.mlp.0.bias"));
  EXPECT_TRUE(decoder->named_parameters().contains("encoder.params_proj.projections.nerstf__mlp__3__weight.norm.bias"));
  EXPECT_TRUE(torch::equal(decoder->background(), torch::ones({3})));
}

TEST(Decoder, LoadsTheOfficialStateDictFormat) {
  torch::NoGradGuard no_grad;
  const auto golden = testing::load_golden("decoder");
  auto plain = testing::golden_decoder("decoder.weights.pt");
  auto official = testing::golden_decoder("loader/decoder.state_dict.pt");
  const auto a = plain->latent_to_params(golden.at("latent"));
  const auto b = official->latent_to_params(golden.at("latent"));
  for (const auto& [name, tensor] : a) EXPECT_TRUE(torch::equal(tensor, b.at(name))) << name;
  for (const auto& item : plain->named_buffers()) EXPECT_TRUE(torch::equal(item.value(), official->named_buffers()[item.key()]));
}

TEST(Decoder, LoadsTheHalfPrecisionCheckpointIntoFloatModules) {
  torch::NoGradGuard no_grad;
  const auto golden = testing::load_golden("decoder");
  auto decoder = testing::golden_decoder("loader/decoder.state_dict.fp16.pt");
  for (const auto& parameter : decoder->parameters()) EXPECT_EQ(parameter.scalar_type(), torch::kFloat32);
  const auto params = decoder->latent_to_params(golden.at("latent"));
  // fp16 weights: about 3 significant digits.
  EXPECT_TRUE(all_close(params.at("nerstf.mlp.1.weight"), golden.at("params.nerstf.mlp.1.weight"), 2e-2, 1e-2));
  const auto fields = decoder->mlp().query(golden.at("mlp.position"), torch::Tensor(), params, NerfLevel::kFine,
                                           FieldMode::kStf);
  EXPECT_TRUE(all_close(fields.channels, golden.at("mlp.stf.channels"), 5e-2, 0));
}

TEST(Decoder, WrongCheckpointsGiveAClearBindingError) {
  ShapeDecoder decoder(testing::golden_decoder_config());
  try {
    bind_decoder_weights(*decoder, load_checkpoint(testing::golden_path("transformer_text.weights.pt")));
    FAIL() << "binding the diffusion transformer's weights succeeded";
  } catch (const WeightBindingError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("missing tensors"), std::string::npos) << message;
    EXPECT_NE(message.find("encoder.params_proj.projections.nerstf__mlp__0__weight.proj.weight"), std::string::npos)
        << message;
    EXPECT_NE(message.find("unexpected tensors"), std::string::npos) << message;
  }
  // The golden weights do not fit a decoder of another width.
  auto config = testing::golden_decoder_config();
  config.nerstf.d_hidden = 32;
  ShapeDecoder narrower(config);
  try {
    bind_decoder_weights(*narrower, load_checkpoint(testing::golden_path("decoder.weights.pt")));
    FAIL() << "binding weights of another width succeeded";
  } catch (const WeightBindingError& error) {
    EXPECT_NE(std::string(error.what()).find("shape mismatches"), std::string::npos) << error.what();
  }
}

TEST(Decoder, FullSizeConfigBuildsAndDecodesWithRandomWeights) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(3);
  ShapeDecoder decoder(load_decoder_config(resource_config("transmitter.yaml")));
  decoder->eval();
  EXPECT_EQ(decoder->params_projection().named_parameters().size(), 16u);
  EXPECT_EQ(decoder->named_buffers().size(), 5u);  // 4 meta weights + background

  const auto params = decoder->latent_to_params(torch::tanh(torch::randn({1, 1024 * 1024})));
  EXPECT_EQ(params.at("nerstf.mlp.0.weight").sizes(), (std::vector<int64_t>{1, 256, 93}));
  EXPECT_EQ(params.at("nerstf.mlp.3.weight").sizes(), (std::vector<int64_t>{1, 256, 256}));
  const auto position = torch::rand({1, 500, 3}) * 2 - 1;
  const auto direction = torch::nn::functional::normalize(torch::randn({1, 500, 3}),
                                                          torch::nn::functional::NormalizeFuncOptions().dim(-1));
  const auto fields = decoder->mlp().query(position, direction, params, NerfLevel::kFine, FieldMode::kNerf);
  EXPECT_EQ(fields.channels.sizes(), (std::vector<int64_t>{1, 500, 3}));
  EXPECT_TRUE(torch::isfinite(fields.density).all().item<bool>());
  EXPECT_TRUE(torch::isfinite(fields.channels).all().item<bool>());

  auto cameras = create_pan_cameras(8);
  cameras.resize(1);
  const auto image = decoder->render_views(params, cameras, NerfRenderOptions{}, /*seed=*/1);
  EXPECT_EQ(image.channels.sizes(), (std::vector<int64_t>{1, 1, 8, 8, 3}));
  EXPECT_TRUE(torch::isfinite(image.channels).all().item<bool>());

  auto mesh_options = decoder->default_mesh_options();
  EXPECT_EQ(mesh_options.grid_size, 128);
  mesh_options.grid_size = 12;
  const auto mesh = decoder->extract_mesh(params, mesh_options);
  EXPECT_EQ(mesh.fields.sizes(), (std::vector<int64_t>{14, 14, 14}));
  EXPECT_TRUE(torch::isfinite(mesh.fields).all().item<bool>());
}

TEST(Decoder, RunsInDoublePrecision) {
  torch::NoGradGuard no_grad;
  auto decoder = testing::golden_decoder();
  decoder->to(torch::kFloat64);
  const auto golden = testing::load_golden("decoder");
  const auto params = decoder->latent_to_params(golden.at("latent"));  // a float latent is converted
  EXPECT_EQ(params.at("nerstf.mlp.0.weight").scalar_type(), torch::kFloat64);
  auto mesh_options = decoder->default_mesh_options();
  mesh_options.sampling = StfGridSampling::kDense;  // every grid value, to compare with the golden grid
  const auto mesh = decoder->extract_mesh(params, mesh_options);
  EXPECT_EQ(mesh.vertex_colors.scalar_type(), torch::kFloat64);
  EXPECT_TRUE(all_close(mesh.fields.unsqueeze(0), golden.at("stf.fields"), 1e-3, 0));
  NerfRenderOptions options;
  options.ray_batch_size = 256;
  std::deque<torch::Tensor> draws;
  for (int i = 0; i < 6; ++i) draws.push_back(golden.at("nerf.rand.00" + std::to_string(i)));
  testing::ReplayRandomness replay(draws);
  const auto pan = create_pan_cameras(16);
  const auto image = decoder->render_views(params, {pan[0], pan[7]}, options, replay);
  EXPECT_EQ(image.channels.scalar_type(), torch::kFloat64);
  EXPECT_TRUE(all_close(image.channels, golden.at("nerf.channels"), 0.05, 0));
}

TEST(Decoder, GradientsReachTheLatentThroughRendersAndMeshColours) {
  auto decoder = testing::golden_decoder();
  decoder->train();
  const auto golden = testing::load_golden("decoder");
  const auto latent = golden.at("latent").clone().requires_grad_(true);
  const auto params = decoder->latent_to_params(latent);

  NerfRenderOptions options;
  options.ray_batch_size = 200;
  testing::ConstantRandomness constant;
  auto cameras = create_pan_cameras(8);
  cameras.resize(1);
  const auto image = decoder->render_views(params, cameras, options, constant);
  auto mesh_options = decoder->default_mesh_options();
  mesh_options.grid_size = 16;
  mesh_options.sampling = StfGridSampling::kDense;  // raw_signed_distance: every grid point, differentiable
  const auto mesh = decoder->extract_mesh(params, mesh_options);
  ASSERT_TRUE(mesh.has_surface());
  (image.channels.mean() + mesh.vertex_colors.mean() + mesh.raw_signed_distance.mean()).backward();

  ASSERT_TRUE(latent.grad().defined());
  EXPECT_GT(latent.grad().abs().sum().item<float>(), 0.0f);
  size_t with_gradient = 0;
  for (const auto& parameter : decoder->parameters()) with_gradient += parameter.grad().defined();
  EXPECT_EQ(with_gradient, decoder->parameters().size());
}

}  // namespace
}  // namespace shape
