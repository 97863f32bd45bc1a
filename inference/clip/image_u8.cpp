#include "inference/clip/image_u8.h"

#include <algorithm>
#include <cmath>

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

ImageU8 centre_crop(const ImageU8& image, double share) {
  check_image(image);
  if (!(share > 0.0 && share <= 1.0)) throw ImageError("centre_crop: the share kept must lie in (0, 1]");
  const int width = std::max(1, static_cast<int>(std::lround(image.width * share)));
  const int height = std::max(1, static_cast<int>(std::lround(image.height * share)));
  const int left = (image.width - width) / 2, top = (image.height - height) / 2;
  const size_t row_bytes = static_cast<size_t>(width) * static_cast<size_t>(image.channels);
  ImageU8 crop{width, height, image.channels, std::vector<uint8_t>(row_bytes * static_cast<size_t>(height))};
  for (int y = 0; y < height; ++y) {
    const auto* source = &image.pixels[(static_cast<size_t>(top + y) * static_cast<size_t>(image.width) +
                                        static_cast<size_t>(left)) *
                                       static_cast<size_t>(image.channels)];
    std::copy(source, source + row_bytes, crop.pixels.begin() + static_cast<std::ptrdiff_t>(row_bytes * y));
  }
  return crop;
}

}  // namespace shape
