// Access to the golden parity files in tests/golden (made by the official shap-e code; see README.md there).
#pragma once

#include <string>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "inference/checkpoint/checkpoint.h"

namespace shape::testing {

inline std::string golden_path(const std::string& relative) { return std::string(SHAPE_GOLDEN_DIR) + "/" + relative; }

// A golden case `<name>.pt`: a flat dict of named tensors.
inline StateDict load_golden(const std::string& name) { return load_checkpoint(golden_path(name + ".pt")); }

// Max |actual - expected| <= atol + rtol * |expected| elementwise, reporting the worst element.
inline ::testing::AssertionResult all_close(const torch::Tensor& actual, const torch::Tensor& expected,
                                            double atol, double rtol) {
  if (actual.sizes() != expected.sizes()) {
    return ::testing::AssertionFailure() << "shape " << actual.sizes() << " != expected " << expected.sizes();
  }
  auto a = actual.to(torch::kFloat64), e = expected.to(torch::kFloat64);
  auto excess = (a - e).abs() - (atol + rtol * e.abs());
  const double worst = excess.max().item<double>();
  const double max_diff = (a - e).abs().max().item<double>();
  if (worst <= 0.0) return ::testing::AssertionSuccess() << "max |diff| " << max_diff;
  return ::testing::AssertionFailure() << "max |diff| " << max_diff << " exceeds atol " << atol << " + rtol " << rtol
                                       << " * |expected| (max |expected| " << e.abs().max().item<double>() << ")";
}

inline ::testing::AssertionResult exactly_equal(const torch::Tensor& actual, const torch::Tensor& expected) {
  if (actual.sizes() != expected.sizes()) {
    return ::testing::AssertionFailure() << "shape " << actual.sizes() << " != expected " << expected.sizes();
  }
  if (actual.scalar_type() != expected.scalar_type()) {
    return ::testing::AssertionFailure() << "dtype " << actual.scalar_type() << " != " << expected.scalar_type();
  }
  if (torch::equal(actual, expected)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "values differ; max |diff| "
                                       << (actual.to(torch::kFloat64) - expected.to(torch::kFloat64)).abs().max().item<double>();
}

}  // namespace shape::testing
