#include "renderer/view_layout.h"

#include <algorithm>

namespace shape::render {

ViewRect fit_aspect(const ViewRect& area, float content_aspect) {
  if (area.empty() || !(content_aspect > 0.0f)) return {area.x, area.y, 0.0f, 0.0f};
  ViewRect fitted = area;
  if (content_aspect > area.aspect()) {
    fitted.height = area.width / content_aspect;
    fitted.y = area.y + (area.height - fitted.height) * 0.5f;
  } else {
    fitted.width = area.height * content_aspect;
    fitted.x = area.x + (area.width - fitted.width) * 0.5f;
  }
  return fitted;
}

ViewLayout layout_views(ViewMode mode, const ViewRect& area, float gap) {
  ViewLayout layout;
  switch (mode) {
    case ViewMode::ImageOnly:
      layout.show_image = true;
      layout.image = area;
      break;
    case ViewMode::MeshOnly:
      layout.show_mesh = true;
      layout.mesh = area;
      break;
    case ViewMode::Split: {
      const float half = std::max(0.0f, (area.width - gap) * 0.5f);
      layout.show_image = true;
      layout.show_mesh = true;
      layout.image = {area.x, area.y, half, area.height};
      layout.mesh = {area.x + area.width - half, area.y, half, area.height};
      break;
    }
  }
  return layout;
}

}  // namespace shape::render
