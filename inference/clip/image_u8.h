// An 8-bit image in memory, torch-free: what image files decode to and CLIP preprocessing takes.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace shape {

// An unreadable image file or an image that cannot be used (empty, too large, malformed buffer).
class ImageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Rows top to bottom, pixels left to right, channels interleaved (HWC).
struct ImageU8 {
  int width = 0;
  int height = 0;
  // As stored in the file: 1 gray (PIL "L"), 2 gray + alpha ("LA"), 3 RGB, 4 RGBA.
  int channels = 3;
  std::vector<uint8_t> pixels;  // height * width * channels bytes

  uint8_t at(int y, int x, int channel) const {
    return pixels[(static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)) *
                      static_cast<size_t>(channels) +
                  static_cast<size_t>(channel)];
  }
};

// Throws ImageError (naming `what`) unless the sizes are positive, channels is 1..4 and the pixel
// buffer has exactly the size they imply.
void check_image(const ImageU8& image, const std::string& what = "image");

// The middle `share` (0..1] of each side: width and height rounded, at least 1 pixel; where the
// margin is odd, its extra pixel is on the right (bottom). Throws ImageError for a share outside.
ImageU8 centre_crop(const ImageU8& image, double share);

}  // namespace shape
