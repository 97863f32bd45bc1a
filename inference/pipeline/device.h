// Choosing where models run. Torch-free header.
#pragma once

#include <string>

namespace shape {

// "cpu", "cuda" or "cuda:N". Throws std::invalid_argument for anything else, and std::runtime_error
// when CUDA is asked for but this build or machine has none.
void check_device_name(const std::string& device);

// "cuda" when a CUDA device is usable, else "cpu".
std::string default_device_name();

}  // namespace shape
