#include "gui/progressive_render.h"

#include <algorithm>

namespace shape::studio {

int ProgressiveRender::moved(double now, int full_height) {
  pending_ = true;
  last_move_ = now;
  full_height_ = full_height;
  return std::min(full_height, std::max(kMinDragHeight, full_height / kDragDivisor));
}

std::optional<int> ProgressiveRender::settled(double now) {
  if (!pending_ || now - last_move_ < kSettleSeconds) return std::nullopt;
  pending_ = false;
  return full_height_;
}

}  // namespace shape::studio
