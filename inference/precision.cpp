#include "inference/precision.h"

#include <stdexcept>

#include "inference/cpu_features.h"
#include "inference/precision_dtype.h"

namespace shape {
namespace {

bool is_cuda(const std::string& device) { return device.rfind("cuda", 0) == 0; }

}  // namespace

PrecisionRequest parse_precision_request(const std::string& text) {
  if (text == "auto") return PrecisionRequest::kAuto;
  if (text == "fp32" || text == "float32") return PrecisionRequest::kFloat32;
  if (text == "bf16" || text == "bfloat16") return PrecisionRequest::kBFloat16;
  if (text == "fp16" || text == "float16") return PrecisionRequest::kFloat16;
  throw std::invalid_argument("precision must be auto, fp32, bf16 or fp16, got '" + text + "'");
}

std::string precision_request_name(PrecisionRequest request) {
  switch (request) {
    case PrecisionRequest::kAuto: return "auto";
    case PrecisionRequest::kFloat32: return "fp32";
    case PrecisionRequest::kBFloat16: return "bf16";
    case PrecisionRequest::kFloat16: return "fp16";
  }
  return "auto";
}

std::string precision_name(Precision precision) {
  switch (precision) {
    case Precision::kFloat32: return "fp32";
    case Precision::kBFloat16: return "bf16";
    case Precision::kFloat16: return "fp16";
  }
  return "fp32";
}

Precision resolve_precision(PrecisionRequest request, const std::string& device) {
  switch (request) {
    case PrecisionRequest::kFloat32: return Precision::kFloat32;
    case PrecisionRequest::kBFloat16: return Precision::kBFloat16;
    case PrecisionRequest::kFloat16:
      if (!is_cuda(device)) {
        throw std::invalid_argument("fp16 needs a CUDA device; on a CPU use bf16 or fp32 (or auto)");
      }
      return Precision::kFloat16;
    case PrecisionRequest::kAuto: break;
  }
  if (is_cuda(device)) return Precision::kFloat16;
  return cpu_features().native_bf16() ? Precision::kBFloat16 : Precision::kFloat32;
}

std::string describe_precision(PrecisionRequest request, const std::string& device) {
  const auto chosen = precision_name(resolve_precision(request, device));
  if (request != PrecisionRequest::kAuto) return chosen;
  if (is_cuda(device)) return chosen + " (auto: CUDA)";
  const auto& cpu = cpu_features();
  return chosen + (cpu.native_bf16() ? " (auto: the CPU computes bf16 natively: " + cpu.isa_summary() + ")"
                                     : " (auto: the CPU has no native bf16)");
}

c10::ScalarType scalar_type_of(Precision precision) {
  switch (precision) {
    case Precision::kBFloat16: return c10::ScalarType::BFloat16;
    case Precision::kFloat16: return c10::ScalarType::Half;
    case Precision::kFloat32: break;
  }
  return c10::ScalarType::Float;
}

}  // namespace shape
