// Process-wide LibTorch settings. Torch-free header: the GUI and CLI include it.
#pragma once

#include <string>

namespace shape {

// Uses every hardware thread for intra-op parallelism (Debian's LibTorch defaults to one).
void configure_torch_threads();

// One line naming the LibTorch version, thread count and whether CUDA is usable.
std::string torch_runtime_summary();

}  // namespace shape
