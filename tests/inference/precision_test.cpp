// Precision names, `auto`'s choice, and the CPU feature probe it rests on (checked against the
// kernel's own reading of the CPU in /proc/cpuinfo).
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "inference/cpu_features.h"
#include "inference/precision.h"

namespace shape {
namespace {

TEST(Precision, ParsesEveryNameAndRefusesOthersByName) {
  EXPECT_EQ(parse_precision_request("auto"), PrecisionRequest::kAuto);
  EXPECT_EQ(parse_precision_request("fp32"), PrecisionRequest::kFloat32);
  EXPECT_EQ(parse_precision_request("float32"), PrecisionRequest::kFloat32);
  EXPECT_EQ(parse_precision_request("bf16"), PrecisionRequest::kBFloat16);
  EXPECT_EQ(parse_precision_request("bfloat16"), PrecisionRequest::kBFloat16);
  EXPECT_EQ(parse_precision_request("fp16"), PrecisionRequest::kFloat16);
  try {
    parse_precision_request("int8");
    FAIL() << "int8 was accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_EQ(std::string(error.what()), "precision must be auto, fp32, bf16 or fp16, got 'int8'");
  }
  for (auto request : {PrecisionRequest::kAuto, PrecisionRequest::kFloat32, PrecisionRequest::kBFloat16,
                       PrecisionRequest::kFloat16}) {
    EXPECT_EQ(parse_precision_request(precision_request_name(request)), request);
  }
}

TEST(Precision, ExplicitChoicesAreKeptAndFp16NeedsCuda) {
  EXPECT_EQ(resolve_precision(PrecisionRequest::kFloat32, "cpu"), Precision::kFloat32);
  EXPECT_EQ(resolve_precision(PrecisionRequest::kBFloat16, "cpu"), Precision::kBFloat16);
  EXPECT_EQ(resolve_precision(PrecisionRequest::kFloat16, "cuda:0"), Precision::kFloat16);
  EXPECT_THROW(resolve_precision(PrecisionRequest::kFloat16, "cpu"), std::invalid_argument);
}

TEST(Precision, AutoIsFp16OnCudaAndBf16OnlyOnCpusWithNativeBf16) {
  EXPECT_EQ(resolve_precision(PrecisionRequest::kAuto, "cuda"), Precision::kFloat16);
  const auto expected = cpu_features().native_bf16() ? Precision::kBFloat16 : Precision::kFloat32;
  EXPECT_EQ(resolve_precision(PrecisionRequest::kAuto, "cpu"), expected);
  EXPECT_NE(describe_precision(PrecisionRequest::kAuto, "cpu").find("auto"), std::string::npos);
  EXPECT_EQ(describe_precision(PrecisionRequest::kFloat32, "cpu"), "fp32");
}

// The flags line of /proc/cpuinfo, as words.
std::string cpuinfo_flags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0) return " " + line.substr(line.find(':') + 1) + " ";
  }
  return {};
}

TEST(CpuFeatures, AgreeWithTheKernelsReading) {
  const auto flags = cpuinfo_flags();
  if (flags.empty()) GTEST_SKIP() << "no /proc/cpuinfo flags on this system";
  const auto& cpu = cpu_features();
  auto has = [&](const char* flag) { return flags.find(std::string(" ") + flag + " ") != std::string::npos; };
  EXPECT_EQ(cpu.avx2, has("avx2"));
  EXPECT_EQ(cpu.avx512f, has("avx512f"));
  EXPECT_EQ(cpu.avx512_bf16, has("avx512_bf16"));
  EXPECT_EQ(cpu.amx_bf16, has("amx_bf16"));
  EXPECT_FALSE(cpu.model_name.empty());
  EXPECT_FALSE(cpu.isa_summary().empty());
}

}  // namespace
}  // namespace shape
