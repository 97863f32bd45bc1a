// The decoded-shape helpers (inference/training/decoded_shapes.h) on the demo's trained stage 1:
// the signed distance a shape's latent decodes to at its query points is close to the true one,
// and far from another shape's.
#include <filesystem>

#include <gtest/gtest.h>
#include <torch/optim/adam.h>
#include <torch/torch.h>

#include "inference/checkpoint/checkpoint.h"
#include "inference/training/decoded_shapes.h"
#include "inference/training/encoder_trainer.h"
#include "inference/training/primitives.h"

namespace shape::training {
namespace {

TEST(TrainingDecodedShapes, AShapesLatentDecodesToItsTrueSignedDistance) {
  const std::filesystem::path demo = std::filesystem::path(SHAPE_ASSETS_DIR) / "demo-model";
  Transmitter transmitter(demo / "transmitter.yaml");
  transmitter.load(load_checkpoint(demo / "transmitter.safetensors"));
  transmitter.encoder->eval();
  transmitter.decoder->eval();
  const auto dataset = make_primitive_dataset(4, 5);
  const auto queries = sample_shape_queries(*dataset, 5, 96, 32);
  ASSERT_EQ(queries.points.sizes(), (torch::IntArrayRef{4, 128, 3}));
  ASSERT_EQ(queries.sdf.sizes(), (torch::IntArrayRef{4, 128}));
  // The same draws again: queries are fixed per shape, so resumed runs see the same ones.
  EXPECT_TRUE(torch::equal(sample_shape_queries(*dataset, 5, 96, 32).points, queries.points));

  torch::NoGradGuard no_grad;
  SampleOptions sampling;
  sampling.surface_points = transmitter.encoder->config().data_ctx;
  std::vector<torch::Tensor> clouds;
  for (int64_t i = 0; i < dataset->size(); ++i) clouds.push_back(dataset->sample(i, 5, sampling).surface);
  const auto latents = transmitter.encoder->forward(torch::stack(clouds)).flatten(1);
  const auto truth = queries.sdf.clamp(-kSdfClamp, kSdfClamp);

  const auto own = (decoded_signed_distances(*transmitter.decoder, latents, queries.points) - truth).abs().mean();
  // Each shape's queries read through the next shape's latent.
  const auto others = (decoded_signed_distances(*transmitter.decoder, latents.roll(1, 0), queries.points) - truth)
                          .abs()
                          .mean();
  EXPECT_LT(own.item<double>(), 0.05);
  EXPECT_GT(others.item<double>(), 3.0 * own.item<double>());
}

// The decoded signed distance is a usable objective: descending its error from one shape's latent
// towards another shape's true signed distance moves the decoded shape there.
TEST(TrainingDecodedShapes, DescendingTheDecodedErrorMovesALatentsShape) {
  const std::filesystem::path demo = std::filesystem::path(SHAPE_ASSETS_DIR) / "demo-model";
  Transmitter transmitter(demo / "transmitter.yaml");
  transmitter.load(load_checkpoint(demo / "transmitter.safetensors"));
  transmitter.encoder->eval();
  transmitter.decoder->eval();
  for (auto& parameter : transmitter.decoder->parameters()) parameter.requires_grad_(false);
  const auto dataset = make_primitive_dataset(2, 5);
  const auto queries = sample_shape_queries(*dataset, 5, 96, 32);
  SampleOptions sampling;
  sampling.surface_points = transmitter.encoder->config().data_ctx;
  torch::Tensor start;
  {
    torch::NoGradGuard no_grad;
    start = transmitter.encoder->forward(dataset->sample(0, 5, sampling).surface.unsqueeze(0)).flatten(1);
  }
  // Shape 1's queries and truth, read through a latent that starts as shape 0's.
  const auto points = queries.points.narrow(0, 1, 1);
  const auto truth = queries.sdf.narrow(0, 1, 1).clamp(-kSdfClamp, kSdfClamp);
  auto latent = start.clone().requires_grad_(true);
  torch::optim::Adam optimizer({latent}, torch::optim::AdamOptions(1e-2));
  auto error = [&] { return (decoded_signed_distances(*transmitter.decoder, latent, points) - truth).abs().mean(); };
  const double before = error().item<double>();
  for (int step = 0; step < 30; ++step) {
    optimizer.zero_grad();
    error().backward();
    optimizer.step();
  }
  EXPECT_LT(error().item<double>(), 0.5 * before);
}

}  // namespace
}  // namespace shape::training
