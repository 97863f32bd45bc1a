// Where the views go inside the window (or the part of it the GUI leaves free): the NeRF preview
// image, the mesh, or both side by side sharing one orbit camera. Pure math in pixels, y down.
#pragma once

namespace shape::render {

struct ViewRect {
  float x = 0.0f;
  float y = 0.0f;
  float width = 0.0f;
  float height = 0.0f;

  bool empty() const { return width <= 0.0f || height <= 0.0f; }
  float aspect() const { return empty() ? 1.0f : width / height; }
  bool contains(float px, float py) const { return px >= x && py >= y && px < x + width && py < y + height; }
};

// The largest rectangle of the given aspect (width / height) centred in `area`: bars above and
// below for wider content (letterbox), left and right for taller content (pillarbox).
ViewRect fit_aspect(const ViewRect& area, float content_aspect);

enum class ViewMode {
  Split,      // image on the left half, mesh on the right half
  ImageOnly,  // the whole area shows the image
  MeshOnly,   // the whole area shows the mesh
};

struct ViewLayout {
  bool show_image = false;
  bool show_mesh = false;
  ViewRect image;  // meaningful when show_image
  ViewRect mesh;   // meaningful when show_mesh
};

// Splits `area` for the mode; `gap` pixels separate the two halves of a split.
ViewLayout layout_views(ViewMode mode, const ViewRect& area, float gap = 0.0f);

}  // namespace shape::render
