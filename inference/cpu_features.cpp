#include "inference/cpu_features.h"

#include <cstdint>
#include <cstring>
#include <fstream>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace shape {
namespace {

#if defined(__x86_64__) || defined(__i386__)
struct Registers {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

Registers cpuid(uint32_t leaf, uint32_t subleaf) {
  Registers r;
  __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
  return r;
}

bool bit(uint32_t value, int index) { return (value >> index) & 1u; }

// XCR0: which register states the OS saves on a context switch (instructions using others fault).
uint64_t enabled_register_states() {
  uint32_t low = 0, high = 0;
  __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
  return (static_cast<uint64_t>(high) << 32) | low;
}

std::string brand_string() {
  if (cpuid(0x80000000u, 0).eax < 0x80000004u) return {};
  char text[49] = {};
  for (uint32_t i = 0; i < 3; ++i) {
    const auto r = cpuid(0x80000002u + i, 0);
    std::memcpy(text + 16 * i, &r, 16);
  }
  std::string name(text);
  const auto first = name.find_first_not_of(' ');
  const auto last = name.find_last_not_of(' ');
  return first == std::string::npos ? std::string() : name.substr(first, last - first + 1);
}

CpuFeatures read_cpu_features() {
  CpuFeatures features;
  features.model_name = brand_string();
  const uint32_t max_leaf = cpuid(0, 0).eax;
  if (max_leaf < 7) return features;
  const auto leaf1 = cpuid(1, 0);
  const bool os_saves_registers = bit(leaf1.ecx, 27);  // OSXSAVE: xgetbv is usable
  if (!os_saves_registers) return features;
  const uint64_t states = enabled_register_states();
  const bool avx_state = (states & 0x6) == 0x6;             // SSE + AVX
  const bool avx512_state = avx_state && (states & 0xE0) == 0xE0;  // opmask, ZMM_Hi256, Hi16_ZMM
  // AMX tile state (XTILECFG, XTILEDATA). Linux enables it per process on request; oneDNN asks.
  // The bits in XCR0 say the kernel supports it at all.
  const bool amx_state = (states & 0x60000) == 0x60000;
  const auto leaf7 = cpuid(7, 0);
  features.avx2 = avx_state && bit(leaf7.ebx, 5);
  features.avx512f = avx512_state && bit(leaf7.ebx, 16);
  features.amx_bf16 = amx_state && bit(leaf7.edx, 22) && bit(leaf7.edx, 24);
  if (leaf7.eax >= 1) features.avx512_bf16 = features.avx512f && bit(cpuid(7, 1).eax, 5);
  return features;
}
#else
CpuFeatures read_cpu_features() { return {}; }
#endif

}  // namespace

std::string CpuFeatures::isa_summary() const {
  std::string summary;
  auto add = [&](bool present, const char* name) {
    if (!present) return;
    if (!summary.empty()) summary += ' ';
    summary += name;
  };
  add(avx2, "avx2");
  add(avx512f, "avx512f");
  add(avx512_bf16, "avx512_bf16");
  add(amx_bf16, "amx_bf16");
  return summary.empty() ? "baseline" : summary;
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = read_cpu_features();
  return features;
}

}  // namespace shape
