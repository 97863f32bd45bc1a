// When the user orbits an idle result, the NeRF view is re-rendered progressively: at a fraction of
// the preview height for every camera move (cheap enough to follow the drag), then at the preview
// height when the camera has rested for a moment, then sharper and sharper (twice the rows each
// time) up to the pane's own pixel height, as instant-ngp refines a still view. This decides which
// height to ask the worker for and when; the worker renders (never the GUI thread), and a camera
// move stops a refinement in flight. Window- and torch-free.
#pragma once

#include <optional>

namespace shape::studio {

class ProgressiveRender {
 public:
  static constexpr int kDragDivisor = 4;          // drag renders at 1/4 of the preview height ...
  static constexpr int kMinDragHeight = 16;       // ... but not below this
  static constexpr double kSettleSeconds = 0.25;  // rest before the full-height render

  // The camera moved at `now` (seconds, steady clock): the height to render at right away.
  int moved(double now, int full_height);
  // The full height, once, when the camera has rested kSettleSeconds since the last move.
  std::optional<int> settled(double now);
  // After a render of `rendered_height` rows of a view at rest: the next height (twice the rows, at
  // most `pane_height`), or nothing once the pane's resolution is reached.
  static std::optional<int> refined(int rendered_height, int pane_height);
  // A full-height render is still to come.
  bool pending() const { return pending_; }
  // Forgets a pending full render (a generation took over the view, or a full render was asked anyway).
  void cancel() { pending_ = false; }

 private:
  bool pending_ = false;
  double last_move_ = 0.0;
  int full_height_ = 0;
};

}  // namespace shape::studio
