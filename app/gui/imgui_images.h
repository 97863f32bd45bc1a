// Images inside ImGui windows (the reference thumbnail, the batch's sample strip). ImGui 1.86's
// Vulkan backend cannot sample user textures, so each image is an ImDrawList callback that draws one
// of ImageDisplay's slots with its textured-quad pipeline at that point of ImGui's draw order
// (widgets drawn later, popups and tooltips stay on top; the window's clip rectangle applies), then
// asks the backend to restore its own render state.
#pragma once

#include <imgui.h>

#include <cstdint>
#include <deque>

#include "renderer/image_display.h"
#include "renderer/render_pass.h"

namespace shape::studio {

class ImGuiImages {
 public:
  explicit ImGuiImages(render::ImageDisplay& display) : display_(display) {}
  ImGuiImages(const ImGuiImages&) = delete;
  ImGuiImages& operator=(const ImGuiImages&) = delete;

  // Call before the frame's widgets: forgets the previous frame's images.
  void begin_frame() { requests_.clear(); }
  // Lays out an image item of `size` showing `slot` (nothing drawn while the slot is empty).
  void image(uint32_t slot, ImVec2 size);
  // The same as a button: true when clicked.
  bool image_button(const char* id, uint32_t slot, ImVec2 size);
  bool has_image(uint32_t slot) const { return display_.has_image(slot); }

  // Records ImGui's draw data with the images: `record` runs ImGui's renderer on pass.cmd.
  template <typename Record>
  void draw_with(const render::ActivePass& pass, Record&& record) {
    pass_ = &pass;
    record();
    pass_ = nullptr;
  }

 private:
  struct Request {
    ImGuiImages* owner;
    uint32_t slot;
    render::ViewRect area;
  };
  // Queues the slot's draw over the item just laid out at `at`.
  void add_draw(uint32_t slot, ImVec2 at, ImVec2 size);
  static void draw_callback(const ImDrawList* list, const ImDrawCmd* command);

  render::ImageDisplay& display_;
  std::deque<Request> requests_;  // a deque: the callbacks hold pointers to its elements
  const render::ActivePass* pass_ = nullptr;
};

}  // namespace shape::studio
