// The arithmetic precision the models run in, and how `--precision auto` chooses it.
// Torch-free header: the CLI and GUI include it.
#pragma once

#include <string>

namespace shape {

// float32 is the exact path (parity with the official code at float32 tolerances). The half
// precisions run the heavy matrix products in bf16 / fp16 with LayerNorms, softmax and
// accumulations kept in float32; their parity tolerances are stated by the tests.
enum class Precision { kFloat32, kBFloat16, kFloat16 };

// What the user asks for: one of the precisions, or `auto`.
enum class PrecisionRequest { kAuto, kFloat32, kBFloat16, kFloat16 };

// "auto", "fp32", "bf16" or "fp16" (also "float32", "bfloat16", "float16"); std::invalid_argument
// naming the choices otherwise.
PrecisionRequest parse_precision_request(const std::string& text);
std::string precision_request_name(PrecisionRequest request);  // "auto", "fp32", ...
std::string precision_name(Precision precision);                 // "fp32", "bf16", "fp16"

// auto: fp16 on CUDA; on a CPU bf16 where it computes bf16 natively (AVX512-BF16 or AMX), else
// fp32. An explicit fp16 on a CPU is refused (std::invalid_argument): LibTorch's CPU kernels
// have no fast fp16 path. `device` is "cpu", "cuda" or "cuda:N".
Precision resolve_precision(PrecisionRequest request, const std::string& device);

// One line for reports: "bf16 (auto: the CPU has avx512_bf16)".
std::string describe_precision(PrecisionRequest request, const std::string& device);

}  // namespace shape
