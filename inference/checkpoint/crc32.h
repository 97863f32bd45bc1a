// CRC-32 as zip stores it (zlib's crc32: reflected polynomial 0xEDB88320, initial and final
// inversion), fast enough to check multi-GB checkpoints on load: carry-less multiplication
// (PCLMULQDQ) where the CPU has it, zlib otherwise.
#pragma once

#include <cstddef>
#include <cstdint>

namespace shape::checkpoint_detail {

// crc32_update(0, data, size) is the CRC of the buffer; passing a previous result continues it, so
// a buffer may be checked in pieces.
uint32_t crc32_update(uint32_t crc, const uint8_t* data, size_t size);

// The same with zlib alone (the reference the fast path is tested against).
uint32_t crc32_update_zlib(uint32_t crc, const uint8_t* data, size_t size);

}  // namespace shape::checkpoint_detail
