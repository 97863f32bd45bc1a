// CLIP's image preprocessing (clip._transform(n_px)) reproduced bit for bit, torch-free:
//   Resize(n_px, BICUBIC)  torchvision on a PIL image: the short side to n_px, the long side to
//                          int(n_px * long / short); Pillow's two-pass antialiased bicubic resample
//                          (a = -0.5, support scaled by the downscale factor, 22-bit fixed-point
//                          weights, uint8 rounding and clipping after each pass; images with alpha
//                          are resampled premultiplied, as Pillow does for RGBA and LA)
//   CenterCrop(n_px)       offsets int(round((size - n_px) / 2.0)), Python's round half to even
//   convert("RGB")         gray is replicated, alpha dropped (not composited)
//   ToTensor, Normalize    /255 and (x - mean) / std in float32 with CLIP's mean and std
//
// Known differences from the Python pipeline, all from decoding rather than from this code: palette
// PNGs arrive here as RGB(A), while PIL resizes its "P" mode with NEAREST; 16-bit files arrive as
// 8-bit. JPEG files decode exactly as in Pillow (both use libjpeg-turbo's defaults).
#pragma once

#include <array>
#include <vector>

#include "inference/clip/image_u8.h"

namespace shape {

inline constexpr int kClipImageResolution = 224;
inline constexpr std::array<float, 3> kClipImageMean = {0.48145466f, 0.4578275f, 0.40821073f};
inline constexpr std::array<float, 3> kClipImageStd = {0.26862954f, 0.26130258f, 0.27577711f};

// Pillow's Image.resize(size, BICUBIC) for an 8-bit L, LA, RGB or RGBA image.
ImageU8 pil_resize_bicubic(const ImageU8& image, int width, int height);

// Resize + CenterCrop + convert("RGB"): the RGB resolution x resolution image CLIP sees.
ImageU8 clip_resize_and_crop(const ImageU8& image, int resolution = kClipImageResolution);

// The whole transform: float32 CHW, 3 * resolution * resolution values. Throws ImageError for an
// unusable image.
std::vector<float> clip_preprocess_image(const ImageU8& image, int resolution = kClipImageResolution);

}  // namespace shape
