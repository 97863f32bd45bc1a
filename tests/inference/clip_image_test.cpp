// CLIP image preprocessing against Pillow + torchvision, and image file loading.
#include <gtest/gtest.h>

#include <stb/stb_image_write.h>  // implementation in Debian's libstb, linked through shape_inference
#include <webp/decode.h>
#include <webp/encode.h>
#include <zlib.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "checkpoint_test_util.h"
#include "golden.h"
#include "inference/clip/image_file.h"
#include "inference/clip/image_preprocess.h"

namespace shape {
namespace {

using checkpoint_test::TempDir;

// The pattern the Pillow references below were computed from: colour (37x + 91y + 53c + 13xy) mod
// 256, alpha ((x + 2y) mod 4) * 85.
ImageU8 pattern(int width, int height, int channels) {
  ImageU8 image{width, height, channels, {}};
  const bool alpha = channels == 2 || channels == 4;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < channels; ++c) {
        image.pixels.push_back(static_cast<uint8_t>(
            alpha && c == channels - 1 ? ((x + 2 * y) % 4) * 85 : (x * 37 + y * 91 + c * 53 + x * y * 13) % 256));
      }
    }
  }
  return image;
}

ImageU8 from_hwc(const torch::Tensor& hwc) {
  ImageU8 image{static_cast<int>(hwc.size(1)), static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(2)), {}};
  const auto* data = hwc.contiguous().data_ptr<uint8_t>();
  image.pixels.assign(data, data + hwc.numel());
  return image;
}

std::string image_error(const std::function<void()>& run) {
  try {
    run();
  } catch (const ImageError& error) {
    return error.what();
  }
  return "";
}

TEST(ClipImagePreprocess, ReproducesClipTransformExactly) {
  const StateDict golden = testing::load_golden("clip");
  for (const std::string name : {"image0", "image1"}) {  // 40x30 (enlarged) and 300x250 (reduced)
    const std::vector<float> chw = clip_preprocess_image(from_hwc(golden.at(name + "_uint8_hwc")));
    const auto actual = torch::from_blob(const_cast<float*>(chw.data()), {3, 224, 224}, torch::kFloat32);
    EXPECT_TRUE(testing::exactly_equal(actual, golden.at(name + "_preprocessed"))) << name;
  }
}

// Expected bytes from Pillow 9.4's Image.resize(size, BICUBIC) and the torchvision crop rule.
TEST(ClipImagePreprocess, ResizeMatchesPillowWithAlphaAndGray) {
  const ImageU8 rgba = pil_resize_bicubic(pattern(9, 7, 4), 4, 3);  // reduced, premultiplied alpha
  EXPECT_EQ(rgba.pixels,
            (std::vector<uint8_t>{113, 148, 204, 115, 107, 130, 182, 133, 114, 112, 134, 125, 118, 91,  112, 125,
                                  93,  124, 149, 123, 114, 126, 178, 127, 117, 149, 195, 128, 135, 114, 165, 122,
                                  97,  155, 124, 115, 103, 130, 182, 133, 157, 167, 120, 125, 167, 81,  138, 125}));
  const ImageU8 la = pil_resize_bicubic(pattern(5, 4, 2), 11, 6);  // enlarged
  EXPECT_EQ(
      la.pixels,
      (std::vector<uint8_t>{
          0,   0,   0,   0,   0,   35,  18,  83,  52,  132, 73, 181, 93,  242, 114, 255, 114, 172, 142, 25,  0,  0,
          85,  86,  97,  102, 108, 151, 111, 172, 94,  121, 76, 80,  123, 116, 148, 160, 123, 144, 58,  100, 27, 94,
          86,  150, 104, 171, 135, 228, 149, 232, 142, 113, 39, 13,  255, 32,  229, 89,  134, 125, 50,  151, 24, 165,
          148, 12,  210, 23,  255, 62,  218, 104, 111, 130, 51, 157, 84,  212, 118, 242, 118, 166, 97,  42,  0,  13,
          0,   76,  38,  92,  110, 139, 129, 164, 98,  122, 53, 90,  107, 128, 146, 171, 133, 147, 90,  93,  60, 84,
          4,   173, 31,  195, 71,  255, 91,  253, 89,  111, 0,  0,   255, 2,   255, 64,  158, 119, 77,  168, 56, 190}));
  // 7x5 gray to 5x4, crop offset round(0.5) = 0 (half to even); gray becomes RGB.
  const ImageU8 gray = clip_resize_and_crop(pattern(7, 5, 1), 4);
  EXPECT_EQ(gray.channels, 3);
  EXPECT_EQ(gray.pixels,
            (std::vector<uint8_t>{21,  21,  21,  82,  82,  82,  134, 134, 134, 134, 134, 134, 158, 158, 158, 163,
                                  163, 163, 161, 161, 161, 118, 118, 118, 106, 106, 106, 138, 138, 138, 164, 164,
                                  164, 148, 148, 148, 113, 113, 113, 110, 110, 110, 141, 141, 141, 122, 122, 122}));
  // Short side already 4: no resize; crop offset round(3.5) = 4.
  const ImageU8 tall = clip_resize_and_crop(pattern(4, 11, 3), 4);
  EXPECT_EQ(tall.pixels,
            (std::vector<uint8_t>{108, 161, 214, 197, 250, 47,  30,  83,  136, 119, 172, 225, 199, 252, 49, 45,
                                  98,  151, 147, 200, 253, 249, 46,  99,  34,  87,  140, 149, 202, 255, 8,  61,
                                  114, 123, 176, 229, 125, 178, 231, 253, 50,  103, 125, 178, 231, 253, 50, 103}));
}

TEST(ClipImagePreprocess, AlphaIsDroppedNotComposited) {
  ImageU8 rgba{224, 224, 4, std::vector<uint8_t>(224 * 224 * 4, 0)};
  for (size_t p = 0; p < rgba.pixels.size(); p += 4) rgba.pixels[p] = 200;  // red under zero alpha
  const ImageU8 rgb = clip_resize_and_crop(rgba);
  EXPECT_EQ(rgb.at(10, 10, 0), 200);
  EXPECT_EQ(rgb.at(10, 10, 1), 0);
  const std::vector<float> chw = clip_preprocess_image(rgba);
  EXPECT_FLOAT_EQ(chw[0], (200.0f / 255.0f - kClipImageMean[0]) / kClipImageStd[0]);
}

TEST(ClipImagePreprocess, UnusableImagesAreRejected) {
  EXPECT_NE(image_error([] { clip_preprocess_image(ImageU8{0, 0, 3, {}}); }).find("empty image"), std::string::npos);
  EXPECT_NE(image_error([] {
              clip_preprocess_image(ImageU8{2, 2, 5, std::vector<uint8_t>(20)});
            }).find("5 channels"),
            std::string::npos);
  EXPECT_NE(image_error([] {
              clip_preprocess_image(ImageU8{2, 2, 3, std::vector<uint8_t>(11)});
            }).find("needs 12"),
            std::string::npos);
  EXPECT_FALSE(image_error([] { pil_resize_bicubic(pattern(3, 3, 3), 0, 2); }).empty());
}

TEST(ClipImageFile, LoadsPngKeepingChannelsAndJpeg) {
  TempDir dir;
  for (const int channels : {1, 2, 3, 4}) {
    const ImageU8 image = pattern(13, 9, channels);
    const auto path = dir.path() / ("p" + std::to_string(channels) + ".png");
    ASSERT_TRUE(stbi_write_png(path.c_str(), image.width, image.height, channels, image.pixels.data(), 0));
    const ImageU8 loaded = load_image_file(path);
    EXPECT_EQ(loaded.width, 13);
    EXPECT_EQ(loaded.height, 9);
    EXPECT_EQ(loaded.channels, channels);
    EXPECT_EQ(loaded.pixels, image.pixels);
  }
  ImageU8 smooth{32, 16, 3, {}};
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 32; ++x) {
      for (int c = 0; c < 3; ++c) smooth.pixels.push_back(static_cast<uint8_t>(x * 4 + y * 2 + c * 30));
    }
  }
  const auto jpeg = dir.path() / "smooth.jpg";
  ASSERT_TRUE(stbi_write_jpg(jpeg.c_str(), 32, 16, 3, smooth.pixels.data(), 95));
  const ImageU8 loaded = load_image_file(jpeg);
  ASSERT_EQ(loaded.pixels.size(), smooth.pixels.size());
  EXPECT_EQ(loaded.channels, 3);
  for (size_t i = 0; i < smooth.pixels.size(); ++i) EXPECT_NEAR(loaded.pixels[i], smooth.pixels[i], 12) << i;
  EXPECT_EQ(clip_preprocess_image(loaded).size(), 3u * 224 * 224);
}

std::string jpeg_fixture(const std::string& name) { return std::string(SHAPE_TEST_FIXTURES_DIR) + "/jpeg/" + name; }

// The fixtures' .pil.png files are what Pillow 9.4 (Debian 12, libjpeg-turbo 2.1.5) decoded from
// each JPEG: 4:2:0 baseline, 4:4:4 progressive and grey.
TEST(ClipImageFile, JpegDecodesExactlyAsPillow) {
  for (const std::string name : {"rgb_420", "rgb_444_progressive", "gray"}) {
    const ImageU8 decoded = load_image_file(jpeg_fixture(name + ".jpg"));
    const ImageU8 pillow = load_image_file(jpeg_fixture(name + ".pil.png"));
    EXPECT_EQ(decoded.width, pillow.width) << name;
    EXPECT_EQ(decoded.height, pillow.height) << name;
    EXPECT_EQ(decoded.channels, pillow.channels) << name;
    EXPECT_EQ(decoded.pixels, pillow.pixels) << name;  // tolerance 0: the same decoder and settings
  }
}

TEST(ClipImageFile, BadJpegsAreClearErrors) {
  const std::string truncated = image_error([] { load_image_file(jpeg_fixture("truncated.jpg")); });
  EXPECT_NE(truncated.find("truncated.jpg: the JPEG file is truncated"), std::string::npos) << truncated;
  const std::string cmyk = image_error([] { load_image_file(jpeg_fixture("cmyk.jpg")); });
  EXPECT_NE(cmyk.find("cmyk.jpg: CMYK JPEG images are not supported"), std::string::npos) << cmyk;
  // Found by tests/fuzz/image_fuzz.cpp: 257 Huffman codes, which overflow Debian 12's stb_image.
  const std::string huffman = image_error([] { load_image_file(jpeg_fixture("corrupt_huffman_table.jpg")); });
  EXPECT_NE(huffman.find("corrupt_huffman_table.jpg: corrupt JPEG"), std::string::npos) << huffman;
}

TEST(ClipImageFile, ReadsWebpAndFindsTheFormatBySignature) {
  TempDir dir;
  const ImageU8 rgb = pattern(11, 7, 3);
  ImageU8 rgba = pattern(11, 7, 4);
  // No fully transparent pixels: libwebp's encoder may change the colour of those.
  for (size_t alpha = 3; alpha < rgba.pixels.size(); alpha += 4) rgba.pixels[alpha] |= 1;
  uint8_t* encoded = nullptr;
  size_t size = WebPEncodeLosslessRGB(rgb.pixels.data(), 11, 7, 11 * 3, &encoded);
  const auto rgb_webp = dir.write("rgb.webp", std::string(reinterpret_cast<char*>(encoded), size));
  WebPFree(encoded);
  size = WebPEncodeLosslessRGBA(rgba.pixels.data(), 11, 7, 11 * 4, &encoded);
  const auto rgba_webp = dir.write("rgba.webp", std::string(reinterpret_cast<char*>(encoded), size));
  WebPFree(encoded);
  EXPECT_EQ(load_image_file(rgb_webp).pixels, rgb.pixels);  // lossless: exact
  const ImageU8 with_alpha = load_image_file(rgba_webp);
  EXPECT_EQ(with_alpha.channels, 4);
  EXPECT_EQ(with_alpha.pixels, rgba.pixels);
  // The name does not matter: a PNG called .jpg is read as the PNG it is.
  const auto renamed = dir.path() / "photo.jpg";
  write_png_file(rgb, renamed);
  EXPECT_EQ(load_image_file(renamed).pixels, rgb.pixels);

  EXPECT_TRUE(has_image_extension("a/B.WEBP"));
  EXPECT_TRUE(has_image_extension("x.jpeg"));
  EXPECT_TRUE(has_image_extension("x.gif"));
  EXPECT_FALSE(has_image_extension("x.tga"));
  EXPECT_FALSE(has_image_extension("png"));
}

TEST(ClipImageFile, FormatsOutsideTheListAreRefusedByName) {
  TempDir dir;
  // A valid binary PPM: stb_image could read it, but its PNM, TGA, PSD and HDR readers are not
  // offered (Debian 12's copy mishandles hostile files of those formats).
  const auto ppm = dir.write("image.ppm", std::string("P6\n2 1\n255\n") + std::string(6, '\x40'));
  const std::string error = image_error([&] { load_image_file(ppm); });
  EXPECT_NE(error.find("image.ppm: not a supported image (PNG, JPEG, WebP, BMP or GIF)"), std::string::npos) << error;
  const auto truncated_webp = dir.write("cut.webp", std::string("RIFF\x30\0\0\0WEBPVP8L", 16));
  EXPECT_NE(image_error([&] { load_image_file(truncated_webp); }).find("cut.webp: corrupt"), std::string::npos);
}

// A PNG signature and IHDR chunk (with its CRC) claiming the given size, and no image data.
std::string png_header(uint32_t width, uint32_t height) {
  std::string chunk = "IHDR";
  for (const uint32_t value : {width, height}) {
    for (int shift = 24; shift >= 0; shift -= 8) chunk += static_cast<char>((value >> shift) & 0xFF);
  }
  chunk += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB
  const uint32_t crc =
      static_cast<uint32_t>(::crc32(0, reinterpret_cast<const Bytef*>(chunk.data()), static_cast<uInt>(chunk.size())));
  std::string png = "\x89PNG\r\n\x1a\n";
  png += std::string("\x00\x00\x00\x0d", 4) + chunk;
  for (int shift = 24; shift >= 0; shift -= 8) png += static_cast<char>((crc >> shift) & 0xFF);
  return png;
}

TEST(ClipImageFile, BadFilesAreClearErrors) {
  TempDir dir;
  EXPECT_NE(image_error([] { load_image_file("/nonexistent/cat.png"); }).find("no such image file"), std::string::npos);
  EXPECT_NE(image_error([&] { load_image_file(dir.path()); }).find("no such image file"), std::string::npos);
  EXPECT_NE(image_error([&] { load_image_file(dir.write("empty.png", "")); }).find("file is empty"), std::string::npos);
  const std::string text_error = image_error([&] { load_image_file(dir.write("notes.png", "just some text\n")); });
  EXPECT_NE(text_error.find("notes.png: not a supported image"), std::string::npos) << text_error;
  EXPECT_NE(image_error([&] { load_image_file(dir.write("huge.png", png_header(20000, 10))); }).find("20000 x 10"),
            std::string::npos);
  // A real PNG cut short: the header is fine, the pixels are missing.
  const ImageU8 image = pattern(64, 64, 3);
  const auto full = dir.path() / "full.png";
  ASSERT_TRUE(stbi_write_png(full.c_str(), 64, 64, 3, image.pixels.data(), 0));
  std::string bytes = checkpoint_test::read_file(full);
  bytes.resize(bytes.size() / 2);
  const std::string truncated_error = image_error([&] { load_image_file(dir.write("truncated.png", bytes)); });
  EXPECT_NE(truncated_error.find("truncated.png: cannot decode image"), std::string::npos) << truncated_error;
}

}  // namespace
}  // namespace shape
