// The small golden CLIP (tests/golden/clip.weights.pt), loaded once per test program.
#pragma once

#include "golden.h"
#include "inference/clip/clip_weights.h"

namespace shape::testing {

// clip.json: clip_config has 2 text heads, which build_model's width / 64 cannot infer.
inline constexpr int64_t kGoldenClipTextHeads = 2;

inline ClipModel load_golden_clip(const std::string& file = "clip.weights.pt", ClipTowers towers = ClipTowers::kBoth) {
  ClipLoadOptions options;
  options.towers = towers;
  options.transformer_heads = kGoldenClipTextHeads;
  return load_clip_model(golden_path(file), options);
}

inline ClipModel& golden_clip() {
  static ClipModel model = load_golden_clip();
  return model;
}

inline const StateDict& golden_clip_outputs() {
  static const StateDict outputs = load_golden("clip");
  return outputs;
}

}  // namespace shape::testing
