#include "inference/models/skip_random_init.h"

#include <torch/library.h>

namespace shape {
namespace {

at::Tensor& skip_uniform(at::Tensor& self, double, double, c10::optional<at::Generator>) { return self; }
at::Tensor& skip_normal(at::Tensor& self, double, double, c10::optional<at::Generator>) { return self; }

TORCH_LIBRARY_IMPL(_, DeferredInit, m) { m.fallback(torch::CppFunction::makeFallthrough()); }

TORCH_LIBRARY_IMPL(aten, DeferredInit, m) {
  m.impl("uniform_", TORCH_FN(skip_uniform));
  m.impl("normal_", TORCH_FN(skip_normal));
}

}  // namespace

SkipRandomInit::SkipRandomInit() : include_(c10::DispatchKey::DeferredInit) {}

}  // namespace shape
