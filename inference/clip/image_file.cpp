#include "inference/clip/image_file.h"

#include <stb_image.h>  // the implementations are compiled into Debian's libstb
#include <stb_image_write.h>
#include <turbojpeg.h>
#include <webp/decode.h>

#include <algorithm>
#include <cctype>
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

void check_side_lengths(int width, int height, const std::string& name) {
  if (width <= 0 || height <= 0) throw ImageError(name + ": image has no pixels");
  if (width > kMaxImageSide || height > kMaxImageSide) {
    throw ImageError(name + ": image is " + std::to_string(width) + " x " + std::to_string(height) +
                     " pixels; at most " + std::to_string(kMaxImageSide) + " per side are supported");
  }
}

enum class ImageFormat { kPng, kJpeg, kWebp, kBmp, kGif, kUnknown };

// By the file's signature, not its name: a renamed file still opens.
ImageFormat sniff_format(const uint8_t* data, size_t size) {
  const auto starts_with = [&](const char* signature, size_t offset = 0) {
    const size_t length = std::strlen(signature);
    return size >= offset + length && std::memcmp(data + offset, signature, length) == 0;
  };
  if (starts_with("\x89PNG\r\n\x1a\n")) return ImageFormat::kPng;
  if (starts_with("\xFF\xD8\xFF")) return ImageFormat::kJpeg;
  if (starts_with("RIFF") && starts_with("WEBP", 8)) return ImageFormat::kWebp;
  if (starts_with("BM")) return ImageFormat::kBmp;
  if (starts_with("GIF87a") || starts_with("GIF89a")) return ImageFormat::kGif;
  return ImageFormat::kUnknown;
}

// JPEG goes through libjpeg-turbo, the decoder Pillow uses, so pixels match Python's exactly; it is
// also hardened against corrupt files, where Debian 12's stb_image overflows a Huffman table (found
// by tests/fuzz/image_fuzz.cpp).
ImageU8 decode_jpeg(const uint8_t* data, size_t size, const std::string& name) {
  const std::unique_ptr<void, int (*)(tjhandle)> decoder(tjInitDecompress(), tjDestroy);
  if (!decoder) throw ImageError(name + ": cannot start the JPEG decoder: " + tjGetErrorStr2(nullptr));
  const auto failure = [&](const std::string& what) {
    return ImageError(name + ": " + what + ": " + tjGetErrorStr2(decoder.get()));
  };
  const auto length = static_cast<unsigned long>(size);
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(decoder.get(), data, length, &width, &height, &subsampling, &colorspace) != 0) {
    throw failure("corrupt JPEG");
  }
  check_side_lengths(width, height, name);
  if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) {
    throw ImageError(name + ": CMYK JPEG images are not supported; save the image as RGB");
  }
  ImageU8 image;
  image.width = width;
  image.height = height;
  image.channels = colorspace == TJCS_GRAY ? 1 : 3;
  image.pixels.resize(static_cast<size_t>(width) * static_cast<size_t>(height) * static_cast<size_t>(image.channels));
  // Default flags: accurate integer DCT and smooth upsampling, as Pillow decodes.
  if (tjDecompress2(decoder.get(), data, length, image.pixels.data(), width, 0, height,
                    image.channels == 1 ? TJPF_GRAY : TJPF_RGB, 0) != 0) {
    // Warnings leave a usable image (e.g. stray bytes between markers), except a cut-off file,
    // whose missing rows the decoder fills with grey.
    const std::string reason = tjGetErrorStr2(decoder.get());
    if (tjGetErrorCode(decoder.get()) != TJERR_WARNING) throw failure("corrupt JPEG");
    if (reason.find("Premature end") != std::string::npos) {
      throw ImageError(name + ": the JPEG file is truncated (" + reason + ")");
    }
  }
  return image;
}

ImageU8 decode_webp(const uint8_t* data, size_t size, const std::string& name) {
  WebPBitstreamFeatures features;
  if (WebPGetFeatures(data, size, &features) != VP8_STATUS_OK) throw ImageError(name + ": corrupt WebP image");
  if (features.has_animation) throw ImageError(name + ": animated WebP images are not supported; use a still image");
  check_side_lengths(features.width, features.height, name);
  ImageU8 image;
  image.width = features.width;
  image.height = features.height;
  image.channels = features.has_alpha ? 4 : 3;
  image.pixels.resize(static_cast<size_t>(image.width) * static_cast<size_t>(image.height) *
                      static_cast<size_t>(image.channels));
  const int stride = image.width * image.channels;
  const uint8_t* decoded =
      features.has_alpha ? WebPDecodeRGBAInto(data, size, image.pixels.data(), image.pixels.size(), stride)
                         : WebPDecodeRGBInto(data, size, image.pixels.data(), image.pixels.size(), stride);
  if (decoded == nullptr) throw ImageError(name + ": corrupt or truncated WebP image");
  return image;
}

// PNG, BMP and GIF (its first frame) through stb_image; the container's other formats (TGA, PSD,
// HDR, PNM, PIC) are not offered: Debian 12's copy mishandles hostile ones (tests/fuzz).
ImageU8 decode_with_stb(const uint8_t* data, size_t size, const std::string& name) {
  if (size > static_cast<size_t>(std::numeric_limits<int>::max())) throw ImageError(name + ": file is too large");
  const int length = static_cast<int>(size);
  int width = 0, height = 0, channels = 0;
  if (!stbi_info_from_memory(data, length, &width, &height, &channels)) {
    throw ImageError(name + ": corrupt image: " + stb_reason());
  }
  check_side_lengths(width, height, name);
  const std::unique_ptr<stbi_uc, void (*)(void*)> decoded(
      stbi_load_from_memory(data, length, &width, &height, &channels, 0), stbi_image_free);
  if (!decoded) throw ImageError(name + ": cannot decode image: " + stb_reason());
  ImageU8 image;
  image.width = width;
  image.height = height;
  image.channels = channels;
  image.pixels.assign(decoded.get(), decoded.get() + static_cast<size_t>(width) * static_cast<size_t>(height) *
                                                         static_cast<size_t>(channels));
  return image;
}

ImageU8 decode_by_format(const uint8_t* data, size_t size, const std::string& name) {
  switch (sniff_format(data, size)) {
    case ImageFormat::kJpeg: return decode_jpeg(data, size, name);
    case ImageFormat::kWebp: return decode_webp(data, size, name);
    case ImageFormat::kPng:
    case ImageFormat::kBmp:
    case ImageFormat::kGif: return decode_with_stb(data, size, name);
    case ImageFormat::kUnknown: break;
  }
  throw ImageError(name + ": not a supported image (" + std::string(kSupportedImageFormats) + ")");
}

}  // namespace

bool has_image_extension(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* known : {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif"}) {
    if (extension == known) return true;
  }
  return false;
}

ImageU8 decode_image(const uint8_t* data, size_t size, const std::string& name) {
  if (size == 0) throw ImageError(name + ": file is empty");
  ImageU8 image = decode_by_format(data, size, name);
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
