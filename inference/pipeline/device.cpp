#include "inference/pipeline/device.h"

#include <stdexcept>

#include <torch/torch.h>

namespace shape {

void check_device_name(const std::string& device) {
  torch::Device parsed(torch::kCPU);
  try {
    parsed = torch::Device(device);
  } catch (const c10::Error&) {
    throw std::invalid_argument("unknown device '" + device + "' (use cpu, cuda or cuda:N)");
  }
  if (parsed.is_cuda()) {
    if (!torch::cuda::is_available()) {
      throw std::runtime_error("device '" + device + "' asked for, but this build or machine has no CUDA device");
    }
    if (parsed.has_index() && parsed.index() >= static_cast<int>(torch::cuda::device_count())) {
      throw std::runtime_error("device '" + device + "' does not exist (" +
                               std::to_string(torch::cuda::device_count()) + " CUDA devices)");
    }
  } else if (!parsed.is_cpu()) {
    throw std::invalid_argument("unsupported device '" + device + "' (use cpu, cuda or cuda:N)");
  }
}

std::string default_device_name() { return torch::cuda::is_available() ? "cuda" : "cpu"; }

}  // namespace shape
