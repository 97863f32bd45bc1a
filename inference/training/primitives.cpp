// The primitives' catalogue: kinds, colours, sizes, captions, random proportions and the
// train / held-out split of the (kind, size, colour) combinations.
#include "inference/training/primitives.h"

#include <algorithm>
#include <random>
#include <stdexcept>

namespace shape::training {
namespace {

// Bitwise the same on every standard library (std::uniform_real_distribution is not).
double uniform(std::mt19937_64& rng, double lo, double hi) {
  return lo + (hi - lo) * static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

void check_colour(int64_t colour) {
  if (colour < 0 || colour >= static_cast<int64_t>(primitive_colours().size())) {
    throw std::out_of_range("primitive colour index " + std::to_string(colour) + " out of range");
  }
}

std::string caption_of(PrimitiveKind kind, PrimitiveSize size, int64_t colour) {
  check_colour(colour);
  return "a " + size_name(size) + " " + primitive_colours()[static_cast<size_t>(colour)].name + " " +
         primitive_name(kind);
}

}  // namespace

const std::vector<PrimitiveKind>& all_primitive_kinds() {
  static const std::vector<PrimitiveKind> kinds = {PrimitiveKind::kCube,     PrimitiveKind::kSphere,
                                                   PrimitiveKind::kTorus,    PrimitiveKind::kCone,
                                                   PrimitiveKind::kCylinder, PrimitiveKind::kPyramid,
                                                   PrimitiveKind::kCapsule};
  return kinds;
}

std::string primitive_name(PrimitiveKind kind) {
  switch (kind) {
    case PrimitiveKind::kCube: return "cube";
    case PrimitiveKind::kSphere: return "sphere";
    case PrimitiveKind::kTorus: return "torus";
    case PrimitiveKind::kCone: return "cone";
    case PrimitiveKind::kCylinder: return "cylinder";
    case PrimitiveKind::kPyramid: return "pyramid";
    case PrimitiveKind::kCapsule: return "capsule";
  }
  throw std::invalid_argument("unknown primitive kind");
}

const std::vector<NamedColour>& primitive_colours() {
  // Linear RGB; the closest pair (red, orange) is 0.38 apart, so a mesh's mean colour is nearest
  // to the right name even with sizeable errors.
  static const std::vector<NamedColour> colours = {
      {"red", {0.80f, 0.05f, 0.05f}},  {"orange", {0.95f, 0.40f, 0.00f}}, {"yellow", {0.90f, 0.80f, 0.05f}},
      {"green", {0.05f, 0.60f, 0.10f}}, {"cyan", {0.05f, 0.70f, 0.80f}},   {"blue", {0.05f, 0.10f, 0.80f}},
      {"purple", {0.45f, 0.05f, 0.70f}}, {"white", {0.90f, 0.90f, 0.90f}}};
  return colours;
}

std::string size_name(PrimitiveSize size) { return size == PrimitiveSize::kSmall ? "small" : "large"; }

std::string PrimitiveSpec::caption() const { return caption_of(kind, size, colour); }
std::vector<std::string> PrimitiveSpec::caption_phrasings() const {
  return {caption(), "a " + primitive_colours()[static_cast<size_t>(colour)].name + " " + primitive_name(kind)};
}
std::string PrimitiveCombination::caption() const { return caption_of(kind, size, colour); }

PrimitiveSpec make_primitive(PrimitiveKind kind, PrimitiveSize size, int64_t colour, uint64_t seed) {
  check_colour(colour);
  std::mt19937_64 rng(seed);
  // s: the largest half-extent.
  const float s = static_cast<float>(size == PrimitiveSize::kSmall ? uniform(rng, 0.35, 0.5) : uniform(rng, 0.7, 0.85));
  PrimitiveSpec spec{kind, size, colour, {s, s, s}};
  // An upright shape whose height / width ratio is `ratio`, the larger of the two being s.
  const auto upright = [&](double ratio) {
    const auto r = static_cast<float>(ratio);
    spec.half_extents = ratio >= 1.0 ? std::array<float, 3>{s / r, s / r, s} : std::array<float, 3>{s, s, s * r};
  };
  switch (kind) {
    case PrimitiveKind::kCube: {  // a box whose sides differ by at most 15%
      const std::array<double, 3> sides = {uniform(rng, 0.85, 1.0), uniform(rng, 0.85, 1.0), uniform(rng, 0.85, 1.0)};
      const double longest = *std::max_element(sides.begin(), sides.end());
      for (size_t k = 0; k < 3; ++k) spec.half_extents[k] = static_cast<float>(s * sides[k] / longest);
      break;
    }
    case PrimitiveKind::kSphere: break;
    case PrimitiveKind::kTorus:  // minor radius 0.25-0.4 of the major one; outer radius s
      spec.half_extents[2] = static_cast<float>(s * (1.0 - 1.0 / (1.0 + uniform(rng, 0.25, 0.4))));
      break;
    case PrimitiveKind::kCone:
    case PrimitiveKind::kPyramid: upright(uniform(rng, 0.8, 1.5)); break;  // half height / base half-width
    case PrimitiveKind::kCylinder: upright(uniform(rng, 0.6, 1.5)); break;
    case PrimitiveKind::kCapsule: upright(uniform(rng, 2.2, 3.0)); break;  // height >= 2.2 diameters
  }
  return spec;
}

PrimitiveKindWeights parse_primitive_kind_weights(const std::string& text) {
  const auto& kinds = all_primitive_kinds();
  PrimitiveKindWeights weights;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(',', start), text.size());
    const std::string part = text.substr(start, end - start);
    const size_t equals = part.find('=');
    const std::string name = part.substr(0, equals);
    const auto kind = std::find_if(kinds.begin(), kinds.end(), [&](PrimitiveKind k) { return primitive_name(k) == name; });
    const std::string value = equals == std::string::npos ? "" : part.substr(equals + 1);
    const bool whole_number = !value.empty() && value.size() <= 3 &&
                              std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (kind == kinds.end() || !whole_number) {
      std::string names;
      for (PrimitiveKind k : kinds) names += (names.empty() ? "" : ", ") + primitive_name(k);
      throw std::invalid_argument("expected KIND=N with KIND one of " + names +
                                  " and N a whole number up to 999, got '" + part + "'");
    }
    if (!weights.emplace(*kind, std::stoll(value)).second) {
      throw std::invalid_argument("'" + name + "' is given twice");
    }
    start = end + 1;
  }
  return weights;
}

std::vector<PrimitiveCombination> all_primitive_combinations() {
  std::vector<PrimitiveCombination> combinations;
  for (PrimitiveKind kind : all_primitive_kinds()) {
    for (PrimitiveSize size : {PrimitiveSize::kSmall, PrimitiveSize::kLarge}) {
      for (int64_t colour = 0; colour < static_cast<int64_t>(primitive_colours().size()); ++colour) {
        combinations.push_back({kind, size, colour});
      }
    }
  }
  return combinations;
}

std::vector<PrimitiveCombination> held_out_primitive_combinations() {
  // 11 of the 112 triples. Entries i and i + 7 share a kind but different colours (21 is not a
  // multiple of 8), so no (kind, colour) pair is held out in both sizes: training sees it in the other.
  std::vector<PrimitiveCombination> held_out;
  const auto colours = static_cast<int>(primitive_colours().size());
  for (int i = 0; i < 11; ++i) {
    held_out.push_back({all_primitive_kinds()[static_cast<size_t>(i % 7)],
                        i % 2 == 0 ? PrimitiveSize::kSmall : PrimitiveSize::kLarge, (3 * i) % colours});
  }
  return held_out;
}

}  // namespace shape::training
