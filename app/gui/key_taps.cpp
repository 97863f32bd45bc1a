#include "gui/key_taps.h"

namespace shape::studio {

namespace {
constexpr int kPress = 1, kRelease = 0;  // GLFW_PRESS, GLFW_RELEASE (this file stays GLFW-free)
}  // namespace

void KeyTaps::on_key(int key, int scancode, int action, int mods) {
  if (action == kPress) pressed_since_frame_.insert(key);
  if (action == kRelease && pressed_since_frame_.count(key) != 0) {
    held_releases_.push_back({key, scancode, mods});
    return;
  }
  forward_(key, scancode, action, mods);
}

void KeyTaps::frame_built() {
  pressed_since_frame_.clear();
  // Moved out first: forwarding may not re-enter, but the buffer must be empty whatever it does.
  std::vector<KeyEvent> releases;
  releases.swap(held_releases_);
  for (const KeyEvent& release : releases) forward_(release.key, release.scancode, kRelease, release.mods);
}

}  // namespace shape::studio
