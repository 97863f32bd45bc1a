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

std::optional<int> ProgressiveRender::refined(int rendered_height, int pane_height) {
  if (rendered_height <= 0 || rendered_height >= pane_height) return std::nullopt;
  return std::min(2 * rendered_height, pane_height);
}

}  // namespace shape::studio
