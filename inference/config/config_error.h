#pragma once

#include <stdexcept>

namespace shape {

// A model or diffusion config that cannot be used: unreadable file, bad YAML, unknown, missing or
// ill-typed keys. The message names the file and the key.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace shape
