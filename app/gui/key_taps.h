// Dear ImGui 1.86 reads the keyboard as "held down" flags sampled once per frame. A key pressed and
// released within one event poll (a quick tap, a slow frame on a software GPU, xdotool) would never
// be seen down, so shortcuts like Ctrl+Q and Enter got lost. KeyTaps holds back the release of a key
// pressed since the last frame until that frame has been built.
#pragma once

#include <functional>
#include <set>
#include <vector>

namespace shape::studio {

class KeyTaps {
 public:
  // Receives the key events in the order the UI should see them (GLFW's callback arguments).
  using Forward = std::function<void(int key, int scancode, int action, int mods)>;

  explicit KeyTaps(Forward forward) : forward_(std::move(forward)) {}

  void on_key(int key, int scancode, int action, int mods);
  // The UI has built a frame from the current key state: held-back releases go through now.
  void frame_built();

 private:
  struct KeyEvent {
    int key, scancode, mods;
  };
  Forward forward_;
  std::set<int> pressed_since_frame_;
  std::vector<KeyEvent> held_releases_;
};

}  // namespace shape::studio
