// Pictures of the primitives (the image model's training and held-out inputs) and their cache.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>

#include "checkpoint_test_util.h"
#include "inference/clip/image_file.h"
#include "inference/training/primitive_evaluation.h"
#include "inference/training/primitive_image_set.h"
#include "inference/training/primitive_images.h"

namespace shape::training {
namespace {

using checkpoint_test::read_file;
using checkpoint_test::TempDir;

std::array<int, 3> pixel(const ImageU8& image, int x, int y) {
  return {image.at(y, x, 0), image.at(y, x, 1), image.at(y, x, 2)};
}

// A large red cube seen from the front-left and above, lit from the camera's side, on a plain
// blue-grey background.
PrimitiveView front_view() {
  PrimitiveView view;
  view.eye = {3.0f, -3.0f, 2.0f};
  view.width = 80;
  view.height = 60;
  view.short_side_fov = 0.8f;
  view.light_direction = {0.48f, -0.6f, 0.64f};
  view.ambient = 0.3f;
  view.background_top = view.background_bottom = {0.2f, 0.3f, 0.4f};
  return view;
}

TEST(TrainingPrimitiveImages, ARedCubeIsRedInTheMiddleOnItsBackground) {
  const auto cube = make_primitive(PrimitiveKind::kCube, PrimitiveSize::kLarge, 0, 1);
  const ImageU8 image = render_primitive_image(cube, front_view());
  ASSERT_EQ(image.width, 80);
  ASSERT_EQ(image.height, 60);
  ASSERT_EQ(image.channels, 3);
  const auto centre = pixel(image, 40, 30);
  EXPECT_GT(centre[0], 100) << "red " << centre[0];
  EXPECT_LT(centre[1], centre[0] / 3) << "green " << centre[1];
  EXPECT_LT(centre[2], centre[0] / 3) << "blue " << centre[2];
  // The corners are the background, 0.2 0.3 0.4 in sRGB, to within one level.
  for (const auto& [x, y] : {std::pair{0, 0}, std::pair{79, 59}}) {
    const auto corner = pixel(image, x, y);
    EXPECT_NEAR(corner[0], 51, 1);
    EXPECT_NEAR(corner[1], 77, 1);
    EXPECT_NEAR(corner[2], 102, 1);
  }
  // The object fills a sensible share of the picture (its box is 1.4-1.7 units across at 4.7 units).
  int red = 0;
  for (int y = 0; y < 60; ++y) {
    for (int x = 0; x < 80; ++x) red += pixel(image, x, y)[0] > 2 * pixel(image, x, y)[2] ? 1 : 0;
  }
  EXPECT_GT(red, 60 * 80 / 8);
  EXPECT_LT(red, 60 * 80 / 2);
}

TEST(TrainingPrimitiveImages, TheLightShadesTheFaces) {
  const auto cube = make_primitive(PrimitiveKind::kCube, PrimitiveSize::kLarge, 0, 1);
  PrimitiveView lit = front_view(), dark = front_view();
  dark.light_direction = {-0.48f, 0.6f, -0.64f};  // from behind and below: ambient light only
  const auto a = pixel(render_primitive_image(cube, lit), 40, 30);
  const auto b = pixel(render_primitive_image(cube, dark), 40, 30);
  EXPECT_GT(a[0], b[0] + 40) << a[0] << " vs " << b[0];
}

TEST(TrainingPrimitiveImages, RandomViewsAreDeterministicAndTheStylesDiffer) {
  const auto a = random_primitive_view(PrimitiveImageStyle::kTraining, 5);
  const auto b = random_primitive_view(PrimitiveImageStyle::kTraining, 5);
  EXPECT_EQ(a.eye, b.eye);
  EXPECT_EQ(a.width, b.width);
  EXPECT_FALSE(a.photo_effects);
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const auto training = random_primitive_view(PrimitiveImageStyle::kTraining, seed);
    const auto photo = random_primitive_view(PrimitiveImageStyle::kPhotoLike, seed);
    EXPECT_TRUE(training.width >= 48 && training.width <= 128 && training.height >= 48 && training.height <= 128);
    EXPECT_TRUE(photo.width >= 96 && photo.width <= 200 && photo.height >= 96 && photo.height <= 200);
    EXPECT_TRUE(photo.photo_effects);
    const auto distance = [](const PrimitiveView& v) {
      return std::sqrt(v.eye[0] * v.eye[0] + v.eye[1] * v.eye[1] + v.eye[2] * v.eye[2]);
    };
    EXPECT_GE(distance(training), 3.4f);  // mild perspective
    EXPECT_LE(distance(photo), 3.1f);     // strong perspective
  }
  const auto cube = make_primitive(PrimitiveKind::kCube, PrimitiveSize::kLarge, 0, 1);
  EXPECT_EQ(render_primitive_image(cube, a).pixels, render_primitive_image(cube, b).pixels);
}

// The photo-like style puts the object on a floor that it shadows: with the light straight above,
// the floor right below the object's side is darker than the floor far from it.
TEST(TrainingPrimitiveImages, PhotoLikePicturesHaveAShadowedFloor) {
  const auto cube = make_primitive(PrimitiveKind::kCube, PrimitiveSize::kLarge, 4, 2);
  PrimitiveView view = front_view();
  view.photo_effects = true;
  view.eye = {0.0f, -2.6f, 1.2f};
  view.width = view.height = 96;
  view.short_side_fov = 1.2f;
  view.light_direction = {0.0f, 0.6f, 0.8f};  // from above and behind: the shadow falls towards us
  view.floor_colour = {0.8f, 0.8f, 0.8f};
  const ImageU8 image = render_primitive_image(cube, view);
  view.light_direction = {0.0f, -0.6f, 0.8f};  // from above and in front: no shadow in front
  const ImageU8 lit = render_primitive_image(cube, view);
  const int x = 48, y = 88;  // the floor in front of the cube
  EXPECT_LT(pixel(image, x, y)[0] + 30, pixel(lit, x, y)[0]) << pixel(image, x, y)[0] << " vs " << pixel(lit, x, y)[0];
  EXPECT_THROW(render_primitive_image(cube, PrimitiveView{{}, {}, 0.6f, 0, 10}), std::invalid_argument);
}

// Evaluation pictures: each combination and seed its own primitive and view (the first version
// showed every combination from one view on one background), the same on every call.
TEST(TrainingPrimitiveImages, EvaluationPicturesDifferBetweenCombinationsAndSeeds) {
  const auto held_out = held_out_primitive_combinations();
  std::set<std::vector<uint8_t>> corners;
  for (const auto& combination : held_out) {
    for (uint64_t seed = 0; seed < 2; ++seed) {
      const ImageU8 picture = evaluation_picture(combination, seed, PrimitiveImageStyle::kTraining);
      EXPECT_EQ(picture.pixels, evaluation_picture(combination, seed, PrimitiveImageStyle::kTraining).pixels);
      corners.insert({picture.pixels[0], picture.pixels[1], picture.pixels[2], static_cast<uint8_t>(picture.width),
                      static_cast<uint8_t>(picture.height)});
    }
  }
  EXPECT_GE(corners.size(), 2 * held_out.size() - 1);
}

TEST(TrainingPrimitiveImageSet, RendersOnceAndKeepsCaptionsBesideThePictures) {
  TempDir dir;
  PrimitiveImageSetOptions options;
  options.shapes = 3;
  options.views_per_shape = 2;
  options.seed = 4;
  const auto entries = render_primitive_image_set(dir.path(), options);
  ASSERT_EQ(entries.size(), 6u);
  const auto specs = primitive_training_specs(3, 4);
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].shape, static_cast<int64_t>(i / 2));
    EXPECT_EQ(entries[i].caption, specs[i / 2].caption());
    EXPECT_NO_THROW(load_image_file(entries[i].file));
  }
  EXPECT_EQ(entries[2].file.filename(), "s000001-v0.png");
  const std::string index = read_file(dir.path() / "images.jsonl");
  EXPECT_EQ(std::count(index.begin(), index.end(), '\n'), 6);
  EXPECT_NE(index.find("\"image\": \"s000001-v0.png\", \"shape\": 1, \"caption\": \"" + specs[1].caption() + "\""),
            std::string::npos)
      << index;

  // Reopened, it renders only what is missing: the same pictures, bit for bit.
  const std::string kept = read_file(entries[0].file), removed = read_file(entries[3].file);
  std::filesystem::remove(entries[3].file);
  int reported = 0;
  const auto again = render_primitive_image_set(dir.path(), options, [&](const TrainingProgress&) { ++reported; });
  EXPECT_EQ(again.size(), 6u);
  EXPECT_GT(reported, 0);
  EXPECT_EQ(read_file(entries[0].file), kept);
  EXPECT_EQ(read_file(entries[3].file), removed);

  // A folder made for other settings is refused, naming its manifest and what differs.
  options.views_per_shape = 3;
  try {
    render_primitive_image_set(dir.path(), options);
    FAIL() << "expected a TrainingError";
  } catch (const TrainingError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("manifest.txt"), std::string::npos) << message;
    EXPECT_NE(message.find("views per shape: 3"), std::string::npos) << message;
  }
  options.views_per_shape = 0;
  EXPECT_THROW(render_primitive_image_set(dir.path() / "other", options), TrainingError);
}

}  // namespace
}  // namespace shape::training
