// libFuzzer target for the image loader (stb_image behind decode_image) and CLIP's preprocessing
// (built by tests/fuzz/CMakeLists.txt, run by scripts/fuzz.sh). ImageError is the documented
// failure; any other exception escapes and libFuzzer reports it as a crash, as it does sanitizer
// findings and timeouts.
#include <cstddef>
#include <cstdint>

#include "inference/clip/image_file.h"
#include "inference/clip/image_preprocess.h"

namespace {

// Larger decoded images are legitimate but only cost the fuzzer time and memory in the resampler.
constexpr int64_t kMaxPreprocessedPixels = 1 << 20;
// A small output keeps each run fast; the resampler's code paths do not depend on the size.
constexpr int kFuzzResolution = 32;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const shape::ImageU8 image = shape::decode_image(data, size, "fuzz input");
    if (int64_t{image.width} * image.height <= kMaxPreprocessedPixels) {
      shape::clip_preprocess_image(image, kFuzzResolution);
    }
  } catch (const shape::ImageError&) {
  }
  return 0;
}
