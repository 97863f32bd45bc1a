#include "inference/runtime.h"

#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <thread>

#include <torch/torch.h>
#include <torch/version.h>

namespace shape {

void configure_torch_threads(int processes_on_host) {
  if (const char* requested = std::getenv("OMP_NUM_THREADS")) {
    const int count = std::atoi(requested);
    if (count > 0) {
      torch::set_num_threads(count);
      return;
    }
  }
  const int hardware_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(std::max(1, hardware_threads / std::max(1, processes_on_host)));
}

void configure_memory_reuse() {
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
}

std::string torch_runtime_summary() {
  std::ostringstream out;
  out << "LibTorch " << TORCH_VERSION << ", " << torch::get_num_threads() << " CPU threads, CUDA "
      << (torch::cuda::is_available() ? "available (" + std::to_string(torch::cuda::device_count()) + " devices)"
                                      : std::string("not available"));
  return out.str();
}

}  // namespace shape
