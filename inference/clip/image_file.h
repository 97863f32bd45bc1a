// Reading the images people drop on the window into an ImageU8: JPEG (libjpeg-turbo, as Pillow
// decodes it), WebP (libwebp), PNG, BMP and GIF's first frame (stb_image); writing PNG. Torch-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "inference/clip/image_u8.h"

namespace shape {

inline constexpr const char* kSupportedImageFormats = "PNG, JPEG, WebP, BMP or GIF";

// Whether the name ends in one of those formats' extensions (any case).
bool has_image_extension(const std::filesystem::path& path);

// Larger images are refused before decoding (a 16k x 16k RGBA image is already 1 GiB).
inline constexpr int kMaxImageSide = 16384;

// Keeps the file's channels (gray, gray + alpha, RGB or RGBA; 16-bit samples are reduced to 8).
// Like PIL, applies no EXIF orientation. Throws ImageError naming the file: missing, unreadable,
// empty, not an image of a supported format (recognised by its signature, whatever its name),
// corrupt, truncated, or larger than kMaxImageSide on a side.
ImageU8 load_image_file(const std::filesystem::path& path);

// The same for encoded bytes in memory; `name` appears in error messages.
ImageU8 decode_image(const uint8_t* data, size_t size, const std::string& name = "image");

// Writes a PNG atomically (nothing is left behind on failure). Throws ImageError naming the path.
void write_png_file(const ImageU8& image, const std::filesystem::path& path);

}  // namespace shape
