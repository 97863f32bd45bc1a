#include "inference/clip/image_preprocess.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace shape {
namespace {

// Pillow: 8 bits of result and 2 for the filter's overshoot leave 22 fractional bits in an int32.
constexpr int kPrecisionBits = 32 - 8 - 2;
constexpr double kBicubicSupport = 2.0;

// Keys' cubic convolution with a = -0.5, written as Pillow evaluates it.
double bicubic_filter(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// For each output pixel: the first input pixel, how many it reads, and their fixed-point weights.
struct ResampleWeights {
  int taps = 0;  // weights per output pixel (the buffer's stride)
  std::vector<int> first, count;
  std::vector<int32_t> weights;
};

// Pillow's precompute_coeffs + normalize_coeffs_8bpc for the box [0, in_size].
ResampleWeights resample_weights(int in_size, int out_size) {
  const double scale = static_cast<double>(static_cast<float>(in_size)) / out_size;
  const double filter_scale = std::max(scale, 1.0);  // widen the filter when shrinking (antialiasing)
  const double support = kBicubicSupport * filter_scale;
  ResampleWeights result;
  result.taps = static_cast<int>(std::ceil(support)) * 2 + 1;
  result.first.resize(out_size);
  result.count.resize(out_size);
  result.weights.assign(static_cast<size_t>(out_size) * result.taps, 0);
  std::vector<double> k(result.taps);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double inverse_scale = 1.0 / filter_scale;
    // (int) truncates toward zero, as in Pillow's C.
    const int xmin = std::max(static_cast<int>(center - support + 0.5), 0);
    const int xmax = std::min(static_cast<int>(center + support + 0.5), in_size) - xmin;
    double sum = 0.0;
    for (int x = 0; x < xmax; ++x) {
      k[x] = bicubic_filter((x + xmin - center + 0.5) * inverse_scale);
      sum += k[x];
    }
    for (int x = 0; x < xmax; ++x) {
      const double w = sum != 0.0 ? k[x] / sum : k[x];
      result.weights[static_cast<size_t>(xx) * result.taps + x] =
          static_cast<int32_t>(w < 0 ? -0.5 + w * (1 << kPrecisionBits) : 0.5 + w * (1 << kPrecisionBits));
    }
    result.first[xx] = xmin;
    result.count[xx] = xmax;
  }
  return result;
}

// Pillow's clip8: the accumulator (with its rounding half added) back to a byte.
uint8_t clip8(int64_t accumulator) {
  if (accumulator < 0) return 0;
  const int64_t value = accumulator >> kPrecisionBits;
  return static_cast<uint8_t>(value > 255 ? 255 : value);
}

constexpr int64_t kRoundingHalf = int64_t{1} << (kPrecisionBits - 1);

// Rows [row_begin, row_end) of `in`, resampled along x to `out_width`.
ImageU8 resample_horizontal(const ImageU8& in, int out_width, int row_begin, int row_end) {
  const ResampleWeights w = resample_weights(in.width, out_width);
  const int c = in.channels;
  ImageU8 out{out_width, row_end - row_begin, c, {}};
  out.pixels.resize(static_cast<size_t>(out.width) * out.height * c);
  for (int y = 0; y < out.height; ++y) {
    const uint8_t* row = in.pixels.data() + static_cast<size_t>(y + row_begin) * in.width * c;
    uint8_t* out_row = out.pixels.data() + static_cast<size_t>(y) * out.width * c;
    for (int xx = 0; xx < out_width; ++xx) {
      const int32_t* k = w.weights.data() + static_cast<size_t>(xx) * w.taps;
      for (int channel = 0; channel < c; ++channel) {
        int64_t sum = kRoundingHalf;
        for (int x = 0; x < w.count[xx]; ++x) sum += int64_t{row[(w.first[xx] + x) * c + channel]} * k[x];
        out_row[xx * c + channel] = clip8(sum);
      }
    }
  }
  return out;
}

// Resampled along y to `out_height`; `row_offset` is where `in`'s first row lies in the source.
ImageU8 resample_vertical(const ImageU8& in, const ResampleWeights& w, int out_height, int row_offset) {
  const int c = in.channels;
  ImageU8 out{in.width, out_height, c, {}};
  out.pixels.resize(static_cast<size_t>(out.width) * out.height * c);
  const size_t stride = static_cast<size_t>(in.width) * c;
  for (int yy = 0; yy < out_height; ++yy) {
    const int32_t* k = w.weights.data() + static_cast<size_t>(yy) * w.taps;
    const uint8_t* first_row = in.pixels.data() + static_cast<size_t>(w.first[yy] - row_offset) * stride;
    uint8_t* out_row = out.pixels.data() + static_cast<size_t>(yy) * stride;
    for (size_t i = 0; i < stride; ++i) {
      int64_t sum = kRoundingHalf;
      for (int y = 0; y < w.count[yy]; ++y) sum += int64_t{first_row[y * stride + i]} * k[y];
      out_row[i] = clip8(sum);
    }
  }
  return out;
}

// Pillow's RGBA -> RGBa and LA -> La: colour times alpha / 255, rounded (MULDIV255).
void premultiply_alpha(ImageU8& image) {
  const int c = image.channels;
  for (size_t p = 0; p < image.pixels.size(); p += c) {
    const unsigned alpha = image.pixels[p + c - 1];
    for (int channel = 0; channel + 1 < c; ++channel) {
      const unsigned t = image.pixels[p + channel] * alpha + 128;
      image.pixels[p + channel] = static_cast<uint8_t>(((t >> 8) + t) >> 8);
    }
  }
}

// Back (RGBa -> RGBA, La -> LA): colour * 255 / alpha truncated and clipped; alpha 0 and 255 keep
// the colour as is.
void unpremultiply_alpha(ImageU8& image) {
  const int c = image.channels;
  for (size_t p = 0; p < image.pixels.size(); p += c) {
    const unsigned alpha = image.pixels[p + c - 1];
    if (alpha == 0 || alpha == 255) continue;
    for (int channel = 0; channel + 1 < c; ++channel) {
      image.pixels[p + channel] = static_cast<uint8_t>(std::min(255u, 255u * image.pixels[p + channel] / alpha));
    }
  }
}

// Pillow's ImagingResampleInner: horizontal pass (only over the rows the vertical pass reads),
// then vertical; a pass is skipped when its size does not change.
ImageU8 resample(const ImageU8& image, int width, int height) {
  const bool horizontal = width != image.width;
  const bool vertical = height != image.height;
  const ResampleWeights vertical_weights = resample_weights(image.height, height);
  const int row_begin = vertical_weights.first.front();
  const int row_end = vertical_weights.first.back() + vertical_weights.count.back();
  if (!horizontal) return vertical ? resample_vertical(image, vertical_weights, height, 0) : image;
  const ImageU8 narrowed = resample_horizontal(image, width, row_begin, row_end);
  return vertical ? resample_vertical(narrowed, vertical_weights, height, row_begin) : narrowed;
}

// int(round(x / 2.0)) for the crop offset: Python rounds halves to even.
int half_rounded_to_even(int x) {
  const int half = x / 2;
  return (x % 2 != 0 && half % 2 != 0) ? half + 1 : half;
}

}  // namespace

ImageU8 pil_resize_bicubic(const ImageU8& image, int width, int height) {
  check_image(image);
  if (width <= 0 || height <= 0)
    throw ImageError("cannot resize an image to " + std::to_string(width) + " x " + std::to_string(height));
  if (width == image.width && height == image.height) return image;  // Pillow returns a copy
  const bool has_alpha = image.channels == 2 || image.channels == 4;
  if (!has_alpha) return resample(image, width, height);
  ImageU8 premultiplied = image;
  premultiply_alpha(premultiplied);
  ImageU8 resized = resample(premultiplied, width, height);
  unpremultiply_alpha(resized);
  return resized;
}

ImageU8 clip_resize_and_crop(const ImageU8& image, int resolution) {
  check_image(image);
  if (resolution <= 0) throw ImageError("CLIP resolution must be positive");
  // torchvision's Resize(int): the short side to `resolution`, the long side scaled and truncated.
  const bool wide = image.width > image.height;
  const int short_side = wide ? image.height : image.width;
  const int long_side = wide ? image.width : image.height;
  ImageU8 resized = image;
  if (short_side != resolution) {
    const auto new_long = static_cast<int>(static_cast<double>(int64_t{resolution} * long_side) / short_side);
    resized = wide ? pil_resize_bicubic(image, new_long, resolution) : pil_resize_bicubic(image, resolution, new_long);
  }
  const int top = half_rounded_to_even(resized.height - resolution);
  const int left = half_rounded_to_even(resized.width - resolution);
  ImageU8 rgb{resolution, resolution, 3, {}};
  rgb.pixels.resize(static_cast<size_t>(resolution) * resolution * 3);
  const bool gray = resized.channels <= 2;
  for (int y = 0; y < resolution; ++y) {
    for (int x = 0; x < resolution; ++x) {
      for (int channel = 0; channel < 3; ++channel) {
        rgb.pixels[(static_cast<size_t>(y) * resolution + x) * 3 + channel] =
            resized.at(top + y, left + x, gray ? 0 : channel);
      }
    }
  }
  return rgb;
}

std::vector<float> clip_preprocess_image(const ImageU8& image, int resolution) {
  const ImageU8 rgb = clip_resize_and_crop(image, resolution);
  const size_t plane = static_cast<size_t>(resolution) * resolution;
  std::vector<float> chw(3 * plane);
  for (size_t p = 0; p < plane; ++p) {
    for (size_t channel = 0; channel < 3; ++channel) {
      // float32 throughout, in torchvision's order: ToTensor's / 255, then Normalize.
      const float unit = static_cast<float>(rgb.pixels[p * 3 + channel]) / 255.0f;
      chw[channel * plane + p] = (unit - kClipImageMean[channel]) / kClipImageStd[channel];
    }
  }
  return chw;
}

}  // namespace shape
