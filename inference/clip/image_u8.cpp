#include "inference/clip/image_u8.h"

namespace shape {

void check_image(const ImageU8& image, const std::string& what) {
  if (image.width <= 0 || image.height <= 0) {
    throw ImageError(what + ": empty image (" + std::to_string(image.width) + " x " + std::to_string(image.height) +
                     ")");
  }
  if (image.channels < 1 || image.channels > 4) {
    throw ImageError(what + ": " + std::to_string(image.channels) + " channels; expected 1 (gray), 2 (gray + alpha), " +
                     "3 (RGB) or 4 (RGBA)");
  }
  const uint64_t expected =
      static_cast<uint64_t>(image.width) * static_cast<uint64_t>(image.height) * static_cast<uint64_t>(image.channels);
  if (image.pixels.size() != expected) {
    throw ImageError(what + ": pixel buffer holds " + std::to_string(image.pixels.size()) + " bytes, " +
                     std::to_string(image.width) + " x " + std::to_string(image.height) + " x " +
                     std::to_string(image.channels) + " needs " + std::to_string(expected));
  }
}

}  // namespace shape
