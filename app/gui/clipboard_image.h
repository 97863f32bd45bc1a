// Image data on the clipboard ("Copy image" in a browser or an image viewer). GLFW reads only
// text from the clipboard, so on X11 the CLIPBOARD selection is asked for an image type directly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct GLFWwindow;

namespace shape::studio {

struct ClipboardImage {
  std::vector<uint8_t> bytes;  // the encoded file (PNG, JPEG, ...): empty when none was read
  std::string type;            // its MIME type, e.g. "image/png"
  std::string error;           // why an offered image could not be read ("" when none was offered)
};

// The clipboard's image, in the first type of PNG, JPEG, WebP, BMP and GIF its owner offers. Waits
// at most about a second for the owner (another program). Without X11, or when the clipboard holds
// no image (or this program owns it: it only ever copies text), `bytes` is empty.
ClipboardImage read_clipboard_image(GLFWwindow* window);

}  // namespace shape::studio
