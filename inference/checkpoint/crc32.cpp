#include "inference/checkpoint/crc32.h"

#include <zlib.h>

#include <algorithm>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SHAPE_CRC32_CLMUL 1
#include <immintrin.h>
#endif

namespace shape::checkpoint_detail {

uint32_t crc32_update_zlib(uint32_t crc, const uint8_t* data, size_t size) {
  uLong value = crc;
  while (size > 0) {
    const auto chunk = static_cast<uInt>(std::min<size_t>(size, uInt{1} << 30));
    value = ::crc32(value, data, chunk);
    data += chunk;
    size -= chunk;
  }
  return static_cast<uint32_t>(value);
}

#ifdef SHAPE_CRC32_CLMUL
namespace {

// How the folding works. Read reflected, as this CRC is, a 16-byte block loaded little-endian into a
// 128-bit lane holds the polynomial whose coefficient of x^(127 - i) is lane bit i. The CRC is the
// remainder of (message * x^32) modulo P, so any prefix of the message may be replaced by a shorter
// polynomial with the same remainder. Folding a block A = L * x^64 + H forward by D bits, onto the
// block D bits later, replaces it by L * (x^(64 + D) mod P) + H * (x^D mod P): under 96 bits, so it
// fits a lane and is XORed into that block. A carry-less product of two reflected 64-bit values
// comes out one bit short of a reflected 128-bit lane (it multiplies by x once more), which the
// constants absorb: x^(63 + D) and x^(D - 1). Once one lane remains, the 16 bytes it holds are an
// equivalent message, finished bytewise together with the tail.

constexpr uint64_t kPolynomial = 0x104C11DB7;  // CRC-32's P, x^32 included, highest power first

// x^power mod P as the high half of a reflected 64-bit lane (coefficient of x^d at bit 63 - d).
constexpr uint64_t folding_constant(int power) {
  uint64_t remainder = 1;
  for (int i = 0; i < power; ++i) {
    remainder <<= 1;
    if (remainder & (uint64_t{1} << 32)) remainder ^= kPolynomial;
  }
  uint64_t reflected = 0;
  for (int bit = 0; bit < 32; ++bit) {
    if (remainder & (uint64_t{1} << bit)) reflected |= uint64_t{1} << (63 - bit);
  }
  return reflected;
}

constexpr int kLaneBits = 128;
constexpr int kLanes = 4;  // independent lanes, so the multiplier's latency overlaps
// fold() multiplies low half by low half (L by x^(63 + D)) and high by high (H by x^(D - 1)).
constexpr uint64_t kFourLanesLow = folding_constant(63 + kLanes * kLaneBits);
constexpr uint64_t kFourLanesHigh = folding_constant(kLanes * kLaneBits - 1);
constexpr uint64_t kOneLaneLow = folding_constant(63 + kLaneBits);
constexpr uint64_t kOneLaneHigh = folding_constant(kLaneBits - 1);

__attribute__((target("pclmul,sse2"))) inline __m128i fold(__m128i lane, __m128i constants) {
  return _mm_xor_si128(_mm_clmulepi64_si128(lane, constants, 0x00), _mm_clmulepi64_si128(lane, constants, 0x11));
}

__attribute__((target("pclmul,sse2"))) inline __m128i load(const uint8_t* data) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(data));
}

// Needs size >= 64.
__attribute__((target("pclmul,sse2"))) uint32_t crc32_clmul(uint32_t crc, const uint8_t* data, size_t size) {
  // _mm_set_epi64x takes the high half first.
  const __m128i by_four_lanes =
      _mm_set_epi64x(static_cast<int64_t>(kFourLanesHigh), static_cast<int64_t>(kFourLanesLow));
  const __m128i by_one_lane = _mm_set_epi64x(static_cast<int64_t>(kOneLaneHigh), static_cast<int64_t>(kOneLaneLow));
  // The register's starting value (the inverted previous CRC) is XORed into the first 32 bits.
  __m128i lanes[kLanes];
  for (int i = 0; i < kLanes; ++i) lanes[i] = load(data + 16 * i);
  lanes[0] = _mm_xor_si128(lanes[0], _mm_cvtsi32_si128(static_cast<int>(~crc)));
  data += 16 * kLanes;
  size -= 16 * kLanes;
  for (; size >= 16 * kLanes; data += 16 * kLanes, size -= 16 * kLanes) {
    for (int i = 0; i < kLanes; ++i) lanes[i] = _mm_xor_si128(fold(lanes[i], by_four_lanes), load(data + 16 * i));
  }
  __m128i lane = lanes[0];
  for (int i = 1; i < kLanes; ++i) lane = _mm_xor_si128(fold(lane, by_one_lane), lanes[i]);
  for (; size >= 16; data += 16, size -= 16) lane = _mm_xor_si128(fold(lane, by_one_lane), load(data));

  alignas(16) uint8_t remainder[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(remainder), lane);
  // zlib's register starts at ~0xFFFFFFFF = 0: the lane alone is the message from here on.
  return crc32_update_zlib(crc32_update_zlib(0xFFFFFFFFu, remainder, sizeof remainder), data, size);
}

bool cpu_has_clmul() {
  static const bool has = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse2");
  return has;
}

}  // namespace
#endif

uint32_t crc32_update(uint32_t crc, const uint8_t* data, size_t size) {
#ifdef SHAPE_CRC32_CLMUL
  if (size >= 64 && cpu_has_clmul()) return crc32_clmul(crc, data, size);
#endif
  return crc32_update_zlib(crc, data, size);
}

}  // namespace shape::checkpoint_detail
