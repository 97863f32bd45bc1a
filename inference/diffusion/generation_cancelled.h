// Raised when a caller's cancellation flag stops a generation. Torch-free so front ends can catch it.
#pragma once

#include <stdexcept>

namespace shape {

// Nothing partial is returned when this is thrown.
class GenerationCancelled : public std::runtime_error {
 public:
  GenerationCancelled() : std::runtime_error("generation cancelled") {}
};

}  // namespace shape
