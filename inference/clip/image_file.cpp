#include "inference/clip/image_file.h"

#include <stb_image.h>  // the implementations are compiled into Debian's libstb
#include <stb_image_write.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <vector>

#include "inference/export/file_io.h"

namespace shape {
namespace {

// Encoded files beyond this are refused before reading (stb takes the size as an int anyway).
constexpr uint64_t kMaxImageFileBytes = uint64_t{1} << 30;

std::string stb_reason() {
  const char* reason = stbi_failure_reason();
  return reason != nullptr ? reason : "unknown error";
}

}  // namespace

ImageU8 decode_image(const uint8_t* data, size_t size, const std::string& name) {
  if (size == 0) throw ImageError(name + ": file is empty");
  if (size > static_cast<size_t>(std::numeric_limits<int>::max())) throw ImageError(name + ": file is too large");
  const int length = static_cast<int>(size);
  int width = 0, height = 0, channels = 0;
  if (!stbi_info_from_memory(data, length, &width, &height, &channels)) {
    throw ImageError(name + ": not a supported image (PNG, JPEG, BMP, GIF, TGA, PSD, HDR, PNM): " + stb_reason());
  }
  if (width <= 0 || height <= 0) throw ImageError(name + ": image has no pixels");
  if (width > kMaxImageSide || height > kMaxImageSide) {
    throw ImageError(name + ": image is " + std::to_string(width) + " x " + std::to_string(height) +
                     " pixels; at most " + std::to_string(kMaxImageSide) + " per side are supported");
  }
  const std::unique_ptr<stbi_uc, void (*)(void*)> decoded(
      stbi_load_from_memory(data, length, &width, &height, &channels, 0), stbi_image_free);
  if (!decoded) throw ImageError(name + ": cannot decode image: " + stb_reason());
  ImageU8 image;
  image.width = width;
  image.height = height;
  image.channels = channels;
  image.pixels.assign(decoded.get(), decoded.get() + static_cast<size_t>(width) * static_cast<size_t>(height) *
                                                         static_cast<size_t>(channels));
  check_image(image, name);
  return image;
}

ImageU8 load_image_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) throw ImageError(name + ": no such image file");
  const uint64_t size = std::filesystem::file_size(path, error);
  if (error) throw ImageError(name + ": cannot read image file: " + error.message());
  if (size > kMaxImageFileBytes) throw ImageError(name + ": image file is larger than 1 GiB");
  std::ifstream stream(path, std::ios::binary);
  if (!stream) throw ImageError(name + ": cannot open image file");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (size > 0 && !stream.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size))) {
    throw ImageError(name + ": cannot read image file");
  }
  return decode_image(bytes.data(), bytes.size(), name);
}

void write_png_file(const ImageU8& image, const std::filesystem::path& path) {
  check_image(image, path.string());
  std::string encoded;
  const auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
  };
  if (!stbi_write_png_to_func(append, &encoded, image.width, image.height, image.channels, image.pixels.data(),
                              image.width * image.channels)) {
    throw ImageError(path.string() + ": PNG encoding failed");
  }
  try {
    write_files_atomically({{path, encoded}});
  } catch (const std::exception& error) {
    throw ImageError(error.what());
  }
}

}  // namespace shape
