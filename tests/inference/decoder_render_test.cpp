// Cameras and the NeRF volume renderer against the official code (golden `decoder`), and the
// renderer's fast path against its exact one.
#include "decoder_golden.h"
#include "demo_shapes.h"
#include "inference/pipeline/latent_decoder.h"

namespace shape {
namespace {

using testing::all_close;

std::vector<Camera> golden_views() {
  const auto pan = create_pan_cameras(16);
  return {pan[0], pan[7]};
}

torch::Tensor stack_field(const std::vector<Camera>& cameras, std::array<float, 3> Camera::*member) {
  std::vector<torch::Tensor> rows;
  for (const auto& camera : cameras) rows.push_back(torch::tensor({(camera.*member)[0], (camera.*member)[1], (camera.*member)[2]}));
  return torch::stack(rows);
}

std::deque<torch::Tensor> golden_draws(const StateDict& golden) {
  std::deque<torch::Tensor> draws;
  for (int i = 0; i < 6; ++i) draws.push_back(golden.at("nerf.rand.00" + std::to_string(i)));
  return draws;
}

NerfRenderOptions golden_options() {
  NerfRenderOptions options;
  options.ray_batch_size = 256;
  options.keep_raw = true;
  return options;
}

TEST(Cameras, PanCamerasMatchOfficial) {
  const auto golden = testing::load_golden("decoder");
  const auto views = golden_views();
  EXPECT_EQ(create_pan_cameras(16).size(), 20u);
  EXPECT_TRUE(all_close(stack_field(views, &Camera::origin), golden.at("cam.origin"), 1e-6, 0));
  EXPECT_TRUE(all_close(stack_field(views, &Camera::x), golden.at("cam.x"), 1e-6, 0));
  EXPECT_TRUE(all_close(stack_field(views, &Camera::y), golden.at("cam.y"), 1e-6, 0));
  EXPECT_TRUE(all_close(stack_field(views, &Camera::z), golden.at("cam.z"), 1e-6, 0));
  EXPECT_TRUE(all_close(torch::tensor({views[0].x_fov, views[1].x_fov}), golden.at("cam.fov"), 1e-7, 0));
  EXPECT_EQ(views[0].width, 16);
  EXPECT_EQ(views[0].height, 16);
}

TEST(Cameras, RaysMatchOfficialRowMajorPixels) {
  const auto golden = testing::load_golden("decoder");
  const auto rays = camera_rays(golden_views());
  EXPECT_TRUE(all_close(rays, golden.at("cam.rays"), 1e-6, 0));
  EXPECT_TRUE(all_close(rays.select(2, 1).norm(2, -1), torch::ones({2, 256}), 1e-6, 0));
}

TEST(Cameras, LookAtCameraFramesTheTarget) {
  const auto camera = look_at_camera({0.0f, -3.0f, 1.0f}, {0.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 1.0f}, 0.8f, 64, 32);
  const auto z = torch::tensor({camera.z[0], camera.z[1], camera.z[2]});
  const auto x = torch::tensor({camera.x[0], camera.x[1], camera.x[2]});
  const auto y = torch::tensor({camera.y[0], camera.y[1], camera.y[2]});
  EXPECT_TRUE(all_close(z, torch::tensor({0.0f, 3.0f, -1.0f}) / std::sqrt(10.0f), 1e-6, 0));
  EXPECT_NEAR(x.dot(y).item<float>(), 0.0f, 1e-6);
  EXPECT_NEAR(x.dot(z).item<float>(), 0.0f, 1e-6);
  EXPECT_LT(y[2].item<float>(), 0.0f);  // image y points down, away from `up`
  EXPECT_GT(x[0].item<float>(), 0.0f);  // looking along +y with z up, image x is world +x
  EXPECT_GT(camera.x_fov, camera.y_fov);
  // The centre ray (between the middle pixels) looks at the target.
  const auto rays = camera_rays({camera});
  EXPECT_EQ(rays.sizes(), (std::vector<int64_t>{1, 64 * 32, 2, 3}));
  const auto centre = (rays[0][15 * 64 + 31][1] + rays[0][16 * 64 + 32][1]) / 2;
  EXPECT_TRUE(all_close(centre / centre.norm(), z, 2e-3, 0));
}

TEST(NerfRenderer, BoxIntersectionMatchesOfficial) {
  const auto golden = testing::load_golden("decoder");
  const auto rays = golden.at("cam.rays");
  const auto range = intersect_bounding_box(rays.select(2, 0), rays.select(2, 1), BoundingBoxConfig{});
  EXPECT_TRUE(all_close(range.t0.view({1, 2, 16, 16, 1}), golden.at("nerf.t0"), 1e-5, 0));
  EXPECT_TRUE(all_close(range.t1.view({1, 2, 16, 16, 1}), golden.at("nerf.t1"), 1e-5, 0));
  EXPECT_TRUE(testing::exactly_equal(range.intersected.view({1, 2, 16, 16, 1}), golden.at("nerf.intersected")));
}

TEST(NerfRenderer, MatchesOfficialRenderWithRecordedDraws) {
  torch::NoGradGuard no_grad;
  auto decoder = testing::golden_decoder();
  const auto golden = testing::load_golden("decoder");
  const auto params = decoder->latent_to_params(golden.at("latent"));
  testing::ReplayRandomness draws(golden_draws(golden));
  const auto result = decoder->render_views(params, golden_views(), golden_options(), draws);
  EXPECT_EQ(draws.remaining(), 0u);
  EXPECT_TRUE(all_close(result.channels, golden.at("nerf.channels"), 0.05, 0));
  EXPECT_TRUE(all_close(result.transmittance, golden.at("nerf.transmittance"), 2e-2, 0));
  EXPECT_TRUE(all_close(result.distances, golden.at("nerf.distances"), 2e-2, 0));
  EXPECT_TRUE(all_close(result.depth, golden.at("nerf.depth"), 2e-2, 0));
  EXPECT_TRUE(all_close(result.t0, golden.at("nerf.t0"), 1e-5, 0));
  EXPECT_TRUE(all_close(result.t1, golden.at("nerf.t1"), 1e-5, 0));
  EXPECT_TRUE(testing::exactly_equal(result.intersected, golden.at("nerf.intersected")));
  EXPECT_TRUE(all_close(to_uint8_image(result.channels), golden.at("nerf.image_uint8"), 1.0, 0));
  // Raw per-sample values are only loosely comparable (see the golden README); on hit rays most agree.
  ASSERT_EQ(result.raw_density.sizes(), golden.at("nerf.raw_density").sizes());
  const auto hit = golden.at("nerf.intersected").expand_as(golden.at("nerf.raw_signed_distance"));
  const auto sdf_diff = (result.raw_signed_distance - golden.at("nerf.raw_signed_distance")).abs().masked_select(hit);
  EXPECT_GT((sdf_diff < 1e-3).to(torch::kFloat32).mean().item<float>(), 0.95f);
  // The image is not trivial: some rays hit, some of those absorb light.
  EXPECT_LT(result.transmittance.min().item<float>(), 0.5f);
}

TEST(NerfRenderer, SkippingMissedRaysChangesNoVisibleOutput) {
  torch::NoGradGuard no_grad;
  auto decoder = testing::golden_decoder();
  const auto golden = testing::load_golden("decoder");
  const auto params = decoder->latent_to_params(golden.at("latent"));
  auto options = golden_options();
  testing::ReplayRandomness skipping_draws(golden_draws(golden));
  const auto skipping = decoder->render_views(params, golden_views(), options, skipping_draws);
  options.skip_missed_rays = false;
  testing::ReplayRandomness full_draws(golden_draws(golden));
  const auto full = decoder->render_views(params, golden_views(), options, full_draws);
  // Float32 rounding apart: the two batches differ, and OpenBLAS's AVX2 kernels round a point by its
  // batch (channels are 0-255 here; 1e-3 was measured on them).
  EXPECT_TRUE(all_close(skipping.channels, full.channels, 2e-3, 0));
  EXPECT_TRUE(all_close(skipping.transmittance, full.transmittance, 5e-6, 0));
  EXPECT_TRUE(all_close(skipping.depth, full.depth, 1e-5, 0));
}

TEST(NerfRenderer, RendersEveryRayWhenTheCountIsNotAMultipleOfTheBatch) {
  torch::NoGradGuard no_grad;
  auto decoder = testing::golden_decoder();
  const auto golden = testing::load_golden("decoder");
  const auto params = decoder->latent_to_params(golden.at("latent"));
  const auto rays = camera_rays(golden_views()).reshape({-1, 2, 3}).narrow(0, 0, 300);
  NerfRenderOptions options;
  options.ray_batch_size = 128;  // batches of 128, 128 and 44 rays
  testing::ConstantRandomness constant;
  const auto batched = render_rays(decoder->mlp(), params, decoder->background(), rays, decoder->renderer_settings(),
                                   options, constant);
  options.ray_batch_size = 300;
  const auto whole = render_rays(decoder->mlp(), params, decoder->background(), rays, decoder->renderer_settings(),
                                 options, constant);
  ASSERT_EQ(batched.channels.sizes(), (std::vector<int64_t>{1, 300, 3}));
  EXPECT_TRUE(all_close(batched.channels, whole.channels, 1e-3, 0));
  EXPECT_TRUE(all_close(batched.distances, whole.distances, 1e-5, 0));
  // The tail batch holds object pixels too, not just background.
  EXPECT_LT(batched.transmittance.narrow(1, 256, 44).min().item<float>(), 0.99f);
}

TEST(NerfRenderer, SeededRandomnessIsReproducibleAndRendersABatchOfLatents) {
  torch::NoGradGuard no_grad;
  auto decoder = testing::golden_decoder();
  const auto latent = testing::load_golden("decoder").at("latent");
  const auto params = decoder->latent_to_params(torch::cat({latent, latent}));
  NerfRenderOptions options;
  options.ray_batch_size = 100;
  SeededRaySampleRandomness first(7), second(7);
  const auto a = decoder->render_views(params, golden_views(), options, first);
  const auto b = decoder->render_views(params, golden_views(), options, second);
  ASSERT_EQ(a.channels.sizes(), (std::vector<int64_t>{2, 2, 16, 16, 3}));
  EXPECT_TRUE(torch::equal(a.channels, b.channels));
  // Same latent twice: both images agree up to the sampling noise of their own draws.
  EXPECT_LT((a.channels[0] - a.channels[1]).abs().mean().item<float>(), 2.0f);
  EXPECT_TRUE(torch::isfinite(a.channels).all().item<bool>());
}

struct FastAndExact {
  NerfRenderResult exact, fast;
  double mean_difference = 0.0;  // of the channels, 0..255
  double within_4 = 0.0;         // share of channel values within 4 of the exact render's
};

FastAndExact render_both_ways(ShapeDecoder& decoder, const torch::Tensor& latent, const std::vector<Camera>& cameras) {
  const auto params = decoder->latent_to_params(latent);
  NerfRenderOptions options;
  options.ray_batch_size = 1024;
  FastAndExact result;
  result.exact = decoder->render_views(params, cameras, options, 5);
  const OccupancyGrid occupancy(decoder->mlp(), params, decoder->config().volume);
  options.occupancy = &occupancy;
  options.termination_transmittance = 1e-3;
  result.fast = decoder->render_views(params, cameras, options, 5);
  const auto difference = (result.fast.channels - result.exact.channels).abs();
  result.mean_difference = difference.mean().item<double>();
  result.within_4 = (difference <= 4.0).to(torch::kFloat32).mean().item<double>();
  std::printf("fast path: %lld of %lld samples queried (occupied %.1f%% of the cells), mean |diff| %.4f, %.2f%% within 4\n",
              static_cast<long long>(result.fast.samples_queried), static_cast<long long>(result.exact.samples_queried),
              100.0 * occupancy.occupied_fraction(), result.mean_difference, 100.0 * result.within_4);
  return result;
}

TEST(NerfRendererFastPath, StaysCloseToTheExactRender) {
  torch::NoGradGuard no_grad;
  auto golden = testing::golden_decoder();
  const auto random_field = render_both_ways(golden, testing::load_golden("decoder").at("latent"), golden_views());
  EXPECT_LT(random_field.mean_difference, 0.5);
  EXPECT_GT(random_field.within_4, 0.99);
  const auto pan = create_pan_cameras(32);
  for (const char* prompt : {"a red cube", "a small yellow cone"}) {
    SCOPED_TRACE(prompt);
    auto demo = testing::demo_shape(prompt);
    const auto trained = render_both_ways(demo.decoder, demo.latent, {pan[0], pan[7]});
    EXPECT_LT(trained.mean_difference, 0.1);
    EXPECT_GT(trained.within_4, 0.999);
    EXPECT_LT(trained.fast.samples_queried, trained.exact.samples_queried);
  }
}

TEST(NerfRendererFastPath, KeepsTheOfficialRandomDrawsAndSkipsAnEmptyField) {
  torch::NoGradGuard no_grad;
  auto decoder = testing::golden_decoder();
  const auto golden = testing::load_golden("decoder");
  {
    // No density anywhere (relu of a very negative logit): nothing to query, only background.
    auto& last = *decoder->mlp().layer(decoder->mlp().n_layers() - 1);
    last.bias[decoder->mlp().layout().density_coarse.begin].fill_(-1e4);
    last.bias[decoder->mlp().layout().density_fine.begin].fill_(-1e4);
  }
  const auto params = decoder->latent_to_params(golden.at("latent"));
  const OccupancyGrid occupancy(decoder->mlp(), params, decoder->config().volume);
  EXPECT_EQ(occupancy.occupied_fraction(), 0.0);
  auto options = golden_options();
  options.occupancy = &occupancy;
  options.termination_transmittance = 1e-3;
  testing::ReplayRandomness draws(golden_draws(golden));
  const auto result = decoder->render_views(params, golden_views(), options, draws);
  EXPECT_EQ(draws.remaining(), 0u);  // the same draws, in the same shapes, as the exact path
  EXPECT_EQ(result.samples_queried, 0);
  EXPECT_TRUE(torch::equal(result.transmittance, torch::ones_like(result.transmittance)));
  EXPECT_TRUE(all_close(result.channels, torch::full_like(result.channels, 255.0), 1e-3, 0));
}

// LatentDecoder keeps the last latent's weights and occupancy grid: they must follow the latent.
TEST(NerfRendererFastPath, LatentDecoderPreviewsFollowEachLatent) {
  LatentDecoder decoder(testing::golden_path("e2e.decoder.yaml"), testing::golden_path("loader/decoder.state_dict.pt"));
  const auto samples = testing::load_golden("e2e_text").at("sample");
  std::vector<Latent> latents(2);
  for (int64_t i = 0; i < 2; ++i) {
    const auto row = samples[i].contiguous();
    latents[i].values.assign(row.data_ptr<float>(), row.data_ptr<float>() + row.numel());
  }
  const auto camera = create_pan_cameras(24).front();
  RenderSettings exact, fast;
  fast.skip_empty_space = true;
  auto mean_difference = [](const ImageU8& a, const ImageU8& b) {
    double sum = 0.0;
    for (size_t i = 0; i < a.pixels.size(); ++i) sum += std::abs(static_cast<int>(a.pixels[i]) - static_cast<int>(b.pixels[i]));
    return sum / static_cast<double>(a.pixels.size());
  };
  const auto first_fast = decoder.render_nerf(latents[0], camera, fast);
  const auto second_fast = decoder.render_nerf(latents[1], camera, fast);
  const auto second_exact = decoder.render_nerf(latents[1], camera, exact);
  const auto first_exact = decoder.render_nerf(latents[0], camera, exact);
  EXPECT_LT(mean_difference(first_fast, first_exact), 0.5);
  EXPECT_LT(mean_difference(second_fast, second_exact), 0.5);
  EXPECT_GT(mean_difference(first_exact, second_exact), 5.0);  // the two latents look different
}

// A viewer's background replaces the model's white behind the object: exactly where no light is
// absorbed (rays missing the box), blended where the object is partly transparent, and nowhere else.
TEST(NerfRendererFastPath, TheBackgroundIsTheViewersChoice) {
  LatentDecoder decoder(testing::golden_path("e2e.decoder.yaml"), testing::golden_path("loader/decoder.state_dict.pt"));
  const auto sample = testing::load_golden("e2e_text").at("sample")[0].contiguous();
  Latent latent;
  latent.values.assign(sample.data_ptr<float>(), sample.data_ptr<float>() + sample.numel());
  // A wide view: its corners' rays miss the [-1, 1]^3 box.
  const auto camera = look_at_camera({0.0f, -6.0f, 0.0f}, {0, 0, 0}, {0, 0, 1}, 1.2f, 32, 32);
  RenderSettings white, dark;
  dark.background_rgb = std::array<float, 3>{28.0f, 28.0f, 31.0f};
  const auto on_white = decoder.render_nerf(latent, camera, white);
  const auto on_dark = decoder.render_nerf(latent, camera, dark);
  EXPECT_EQ(on_white.pixels[0], 255);
  EXPECT_EQ(on_dark.pixels[0], 28);
  EXPECT_EQ(on_dark.pixels[1], 28);
  EXPECT_EQ(on_dark.pixels[2], 31);
  // Each pixel moves by at most the background's change, never up.
  for (size_t i = 0; i < on_white.pixels.size(); ++i) {
    EXPECT_LE(on_dark.pixels[i], on_white.pixels[i]);
    EXPECT_GE(on_dark.pixels[i] + (255 - 28), on_white.pixels[i]);
  }
}

}  // namespace
}  // namespace shape
