#include "gui/key_taps.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shape::studio {
namespace {

constexpr int kRelease = 0, kPress = 1, kRepeat = 2;
constexpr int kCtrl = 341, kQ = 81;  // GLFW_KEY_LEFT_CONTROL, GLFW_KEY_Q

struct Recorder {
  std::vector<std::string> events;
  KeyTaps taps{[this](int key, int, int action, int) {
    events.push_back(std::to_string(key) + (action == kPress ? " down" : action == kRelease ? " up" : " repeat"));
  }};
};

// xdotool's "key ctrl+q" on a slow frame: all four events arrive in one poll. The frame must still
// see Ctrl and Q down together, and both come up afterwards.
TEST(KeyTaps, ATapWithinOnePollIsSeenDownForOneFrame) {
  Recorder r;
  r.taps.on_key(kCtrl, 0, kPress, 0);
  r.taps.on_key(kQ, 0, kPress, 2);
  r.taps.on_key(kQ, 0, kRelease, 2);
  r.taps.on_key(kCtrl, 0, kRelease, 2);
  EXPECT_EQ(r.events, (std::vector<std::string>{"341 down", "81 down"}));
  r.taps.frame_built();
  EXPECT_EQ(r.events, (std::vector<std::string>{"341 down", "81 down", "81 up", "341 up"}));
  r.taps.frame_built();
  EXPECT_EQ(r.events.size(), 4u);
}

// A key held across frames comes up as soon as it is released, as without KeyTaps.
TEST(KeyTaps, KeysHeldAcrossFramesReleaseAtOnce) {
  Recorder r;
  r.taps.on_key(kQ, 0, kPress, 0);
  r.taps.frame_built();
  r.taps.on_key(kQ, 0, kRepeat, 0);
  r.taps.on_key(kQ, 0, kRelease, 0);
  EXPECT_EQ(r.events, (std::vector<std::string>{"81 down", "81 repeat", "81 up"}));
}

}  // namespace
}  // namespace shape::studio
