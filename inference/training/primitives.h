// The procedural training set: coloured primitives with analytic signed distances and captions
// such as "a small red cube". Also the geometric classifier that tells which primitive a mesh is
// and which named colour it has (the demo model's accuracy test and `shape-cli evaluate-demo`).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/types.h>

#include "inference/mesh/mesh.h"
#include "inference/training/shape_dataset.h"

namespace shape::training {

enum class PrimitiveKind { kCube, kSphere, kTorus, kCone, kCylinder, kPyramid, kCapsule };
const std::vector<PrimitiveKind>& all_primitive_kinds();
std::string primitive_name(PrimitiveKind kind);  // "cube", "sphere", ...

struct NamedColour {
  std::string name;           // "red"
  std::array<float, 3> rgb;   // linear RGB in [0, 1]
};
// Well separated colours, so the nearest one to a mesh's mean colour is unambiguous.
const std::vector<NamedColour>& primitive_colours();

enum class PrimitiveSize { kSmall, kLarge };
std::string size_name(PrimitiveSize size);  // "small", "large"

// One primitive, upright along Z, centred at the origin, inside [-1, 1]^3.
struct PrimitiveSpec {
  PrimitiveKind kind = PrimitiveKind::kCube;
  PrimitiveSize size = PrimitiveSize::kLarge;
  int64_t colour = 0;                        // index into primitive_colours()
  std::array<float, 3> half_extents{};       // of its bounding box (x, y, z)
  std::string caption() const;               // "a small red cube"
  // caption() and the same without the size word, "a red cube", which users type first.
  std::vector<std::string> caption_phrasings() const;
};

// A deterministic random primitive of the given class, size and colour (proportions vary with
// the seed within ranges that keep the classes geometrically distinct). The largest half-extent is
// 0.35-0.5 (small) or 0.7-0.85 (large); a cube's sides differ by at most 15%; a torus's minor
// radius is 0.25-0.4 of its major one; half height / base radius is 0.8-1.5 for cones and
// pyramids (apex on +Z), 0.6-1.5 for cylinders and 2.2-3 for capsules.
PrimitiveSpec make_primitive(PrimitiveKind kind, PrimitiveSize size, int64_t colour, uint64_t seed);

// Analytic (exact) signed distance, positive inside: points [N, 3] -> [N] float32. The shape's
// parameters come from its kind and half_extents; half_extents outside the kind's proportions (as
// the classifier passes) are fitted into them, e.g. a torus keeps its minor radius 0.2-0.5 of the
// major one and a capsule its height at least 2 diameters.
torch::Tensor primitive_signed_distance(const PrimitiveSpec& spec, const torch::Tensor& points);

// Points uniform over the primitive's exact surface with its colour: [count, 6] as
// ShapeSample::surface. Deterministic in `seed`.
torch::Tensor sample_primitive_surface(const PrimitiveSpec& spec, int64_t count, uint64_t seed);

// A closed coloured mesh of the primitive (marching cubes of its SDF at `grid` resolution).
Mesh primitive_mesh(const PrimitiveSpec& spec, int64_t grid = 64);

// The (kind, size, colour) combinations; `held_out` ones are left out of the training set and
// kept for evaluation.
struct PrimitiveCombination {
  PrimitiveKind kind;
  PrimitiveSize size;
  int64_t colour;
  std::string caption() const;
};
std::vector<PrimitiveCombination> all_primitive_combinations();
// A fixed ~10% of the combinations, chosen so every kind, size and colour still appears in
// training with other partners.
std::vector<PrimitiveCombination> held_out_primitive_combinations();

// How many times each kind's training combinations come up in the procedural set's cycle; kinds
// not named come up once.
using PrimitiveKindWeights = std::map<PrimitiveKind, int64_t>;
// "cube=3,pyramid=2" -> {cube: 3, pyramid: 2}. Weights are whole numbers >= 0 (0 leaves a kind
// out); throws std::invalid_argument naming the part that is not one.
PrimitiveKindWeights parse_primitive_kind_weights(const std::string& text);

// `count` shapes cycling through the training combinations (held-out ones excluded), each with
// its own random proportions from `seed`. With `kind_weights`, each combination of a weighted kind
// comes up that many times per cycle: {cube: 3} trains on three cubes for each sphere.
std::unique_ptr<ShapeDataset> make_primitive_dataset(int64_t count, uint64_t seed,
                                                     const PrimitiveKindWeights& kind_weights = {});
// The primitives of that set, shape i at i (what the image renders of stage 2 draw).
std::vector<PrimitiveSpec> primitive_training_specs(int64_t count, uint64_t seed,
                                                    const PrimitiveKindWeights& kind_weights = {});

// The geometric classifier: fits every primitive kind to the mesh (parameters from its bounding
// box) and picks the one whose SDF is closest to zero over the mesh's vertices; the colour is the
// named colour nearest to the mean vertex colour.
struct PrimitiveClassification {
  PrimitiveKind kind;
  int64_t colour;
  std::vector<double> kind_errors;  // mean |SDF| per kind, in all_primitive_kinds() order
};
PrimitiveClassification classify_primitive(const Mesh& mesh);

}  // namespace shape::training
