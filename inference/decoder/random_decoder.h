// A decoder of any configured size with random weights whose field is a smooth blob rather than
// high-frequency noise: realistic meshes for benchmarks and export tests without real weights.
#pragma once

#include <cstdint>

#include "inference/decoder/shape_decoder.h"

namespace shape {

struct RandomBlobDecoder {
  ShapeDecoder decoder{nullptr};
  MetaParameters params;  // of one random latent, tanh(randn)
};

// Deterministic for a seed. The SDF bias is shifted so about 30% of the box is inside, and the NeRF
// density follows the SDF (zero outside the blob, with the density_activation relu of the shipped
// config).
RandomBlobDecoder make_random_blob_decoder(const DecoderConfig& config, uint64_t seed);

}  // namespace shape
