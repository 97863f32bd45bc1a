// How well a model makes the procedural primitives: each caption is generated (an image model: from
// a picture of a fresh primitive of that combination; for stage 1, encoded and decoded), meshed, and
// judged by the geometric classifier for shape class and colour. The demo models' accuracy tests and
// `shape-cli evaluate-primitives` use it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "inference/pipeline/latent_generator.h"
#include "inference/pipeline/official_models.h"
#include "inference/training/primitive_images.h"
#include "inference/training/primitives.h"

namespace shape::training {

struct PrimitiveJudgement {
  std::string caption;
  uint64_t seed = 0;
  PrimitiveKind expected_kind{}, predicted_kind{};
  int64_t expected_colour = 0, predicted_colour = 0;
  bool empty_mesh = false;  // no surface at all: counts as wrong
  bool kind_correct() const { return !empty_mesh && expected_kind == predicted_kind; }
  bool colour_correct() const { return !empty_mesh && expected_colour == predicted_colour; }
  bool correct() const { return kind_correct() && colour_correct(); }
};

struct PrimitiveEvaluation {
  std::vector<PrimitiveJudgement> judgements;
  double accuracy() const;         // shape class and colour both right
  double kind_accuracy() const;
  double colour_accuracy() const;
  std::string table() const;       // one line per judgement, then the totals
};

struct PrimitiveEvaluationOptions {
  int64_t seeds_per_caption = 2;
  int64_t grid_size = 48;
  GenerationSettings generation;  // its seed is the first; the others follow
  Precision precision = Precision::kFloat32;  // of the diffusion transformer
  // When set, each judged sample is also written here: its mesh (GLB) and a NeRF view (PNG), and
  // an image model's input picture (-input.png).
  std::filesystem::path save_dir;
  // Image models: the pictures' style. Each sample is a primitive of the combination with
  // proportions and a view drawn from seeds no training run uses.
  PrimitiveImageStyle image_style = PrimitiveImageStyle::kTraining;
};

// The picture an image model is evaluated on for `combination` and sample seed `seed`.
ImageU8 evaluation_picture(const PrimitiveCombination& combination, uint64_t seed, PrimitiveImageStyle style);

// Generates every combination with the model folder's files: from its caption, or from its
// pictures when `files` are an image model's.
PrimitiveEvaluation evaluate_primitive_generation(const ModelFileSet& files,
                                                  const std::vector<PrimitiveCombination>& combinations,
                                                  const PrimitiveEvaluationOptions& options);

// Stage 1 alone: a random primitive of each combination is sampled as a point cloud, encoded by a
// train-encoder run's transmitter, decoded to a mesh and judged (`seeds_per_caption` shapes each).
PrimitiveEvaluation evaluate_primitive_reconstruction(const std::filesystem::path& transmitter_config,
                                                      const std::filesystem::path& transmitter_weights,
                                                      const std::vector<PrimitiveCombination>& combinations,
                                                      const PrimitiveEvaluationOptions& options);

}  // namespace shape::training
