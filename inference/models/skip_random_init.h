// Building a module whose every parameter and buffer is bound from a checkpoint right after: its
// random initialisation would be thrown away, and at full size it is the dearest part of loading
// (LibTorch's CPU uniform_ draws one number at a time: seconds for the 300M-parameter transformer,
// and every page of the weights touched once for nothing).
//
// While a SkipRandomInit lives, the random fills on this thread (uniform_ and normal_, through which
// torch::nn's Linear, Conv and Embedding init, kaiming_*, xavier_*, randn and rand all go) leave
// their tensors as allocated: uninitialised and untouched. Everything else runs as usual (fill_,
// zeros, ones, arithmetic), so buffers and constants a constructor computes come out right.
//
// It works through the dispatcher key LibTorch reserves for deferred module initialisation
// (DispatchKey::DeferredInit): a fallthrough for every operator but those two, and only while the
// guard adds the key to this thread's dispatch keys.
#pragma once

#include <c10/core/impl/LocalDispatchKeySet.h>

namespace shape {

class SkipRandomInit {
 public:
  SkipRandomInit();
  SkipRandomInit(const SkipRandomInit&) = delete;
  SkipRandomInit& operator=(const SkipRandomInit&) = delete;

 private:
  c10::impl::IncludeDispatchKeyGuard include_;
};

}  // namespace shape
