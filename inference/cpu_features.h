// What the CPU can do, asked of the CPU itself (cpuid and the OS-enabled register state), so the
// precision `auto` picks bf16 only where the hardware computes it natively. Torch-free header.
#pragma once

#include <string>

namespace shape {

struct CpuFeatures {
  std::string model_name;    // e.g. "Intel(R) Xeon(R) Platinum 8480+", "AMD EPYC 9B14"
  bool avx2 = false;
  bool avx512f = false;      // with the OS saving the AVX-512 registers
  bool avx512_bf16 = false;  // VDPBF16PS: bf16 dot products on the AVX-512 units
  bool amx_bf16 = false;     // AMX tiles with bf16 (Sapphire Rapids and later), OS-enabled

  // bf16 matrix products run in hardware (oneDNN uses avx512_core_bf16 or AMX kernels).
  bool native_bf16() const { return avx512_bf16 || amx_bf16; }
  // "avx2 avx512f avx512_bf16 amx_bf16": the features present, for reports.
  std::string isa_summary() const;
};

// Read once per process.
const CpuFeatures& cpu_features();

}  // namespace shape
