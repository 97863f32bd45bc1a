#include "gui/imgui_images.h"

namespace shape::studio {

void ImGuiImages::image(uint32_t slot, ImVec2 size) {
  const ImVec2 at = ImGui::GetCursorScreenPos();
  ImGui::Dummy(size);
  add_draw(slot, at, size);
}

bool ImGuiImages::image_button(const char* id, uint32_t slot, ImVec2 size) {
  const ImVec2 at = ImGui::GetCursorScreenPos();
  const bool clicked = ImGui::InvisibleButton(id, size);
  add_draw(slot, at, size);
  return clicked;
}

void ImGuiImages::add_draw(uint32_t slot, ImVec2 at, ImVec2 size) {
  if (!ImGui::IsItemVisible() || !display_.has_image(slot)) return;
  requests_.push_back({this, slot, {at.x, at.y, size.x, size.y}});
  ImDrawList* list = ImGui::GetWindowDrawList();
  list->AddCallback(&ImGuiImages::draw_callback, &requests_.back());
  list->AddCallback(ImDrawCallback_ResetRenderState, nullptr);
}

void ImGuiImages::draw_callback(const ImDrawList*, const ImDrawCmd* command) {
  const auto& request = *static_cast<const Request*>(command->UserCallbackData);
  const ImGuiImages& self = *request.owner;
  if (!self.pass_) return;
  // ImGui's clip rectangle is in display coordinates; the pass is in framebuffer pixels.
  const ImVec2 scale = ImGui::GetIO().DisplayFramebufferScale;
  const ImVec4& clip = command->ClipRect;
  const render::ViewRect clip_rect{clip.x * scale.x, clip.y * scale.y, (clip.z - clip.x) * scale.x,
                                   (clip.w - clip.y) * scale.y};
  const render::ViewRect area{request.area.x * scale.x, request.area.y * scale.y, request.area.width * scale.x,
                              request.area.height * scale.y};
  self.display_.draw(*self.pass_, area, request.slot, clip_rect);
}

}  // namespace shape::studio
