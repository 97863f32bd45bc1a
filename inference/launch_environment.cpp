#include "inference/launch_environment.h"

#include <cstdlib>
#include <limits>
#include <optional>
#include <stdexcept>

namespace shape {
namespace {

std::optional<std::string> variable(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

// An integer in [minimum, maximum], or nullopt when the variable is unset.
std::optional<int> integer_variable(const char* name, int minimum, int maximum) {
  const auto text = variable(name);
  if (!text) return std::nullopt;
  try {
    size_t used = 0;
    const long long value = std::stoll(*text, &used);
    if (used == text->size() && value >= minimum && value <= maximum) return static_cast<int>(value);
  } catch (const std::exception&) {
  }
  throw std::invalid_argument("environment variable " + std::string(name) + " must be an integer in " +
                              std::to_string(minimum) + ".." + std::to_string(maximum) + ", got '" + *text + "'");
}

}  // namespace

LaunchEnvironment read_launch_environment() {
  constexpr int kMaximum = std::numeric_limits<int>::max();
  LaunchEnvironment environment;
  const auto rank = integer_variable("RANK", 0, kMaximum);
  const auto world_size = integer_variable("WORLD_SIZE", 1, kMaximum);
  if (rank.has_value() != world_size.has_value()) {
    throw std::invalid_argument(rank ? "RANK is set but WORLD_SIZE is not: set both (or neither, for one process)"
                                     : "WORLD_SIZE is set but RANK is not: set both (or neither, for one process)");
  }
  environment.rank = rank.value_or(0);
  environment.world_size = world_size.value_or(1);
  if (environment.rank >= environment.world_size) {
    throw std::invalid_argument("RANK " + std::to_string(environment.rank) + " must be below WORLD_SIZE " +
                                std::to_string(environment.world_size));
  }
  const auto local_world_size = integer_variable("LOCAL_WORLD_SIZE", 1, kMaximum);
  environment.local_world_size = local_world_size.value_or(1);
  environment.local_rank = integer_variable("LOCAL_RANK", 0, kMaximum).value_or(0);
  if (local_world_size && environment.local_rank >= environment.local_world_size) {
    throw std::invalid_argument("LOCAL_RANK " + std::to_string(environment.local_rank) +
                                " must be below LOCAL_WORLD_SIZE " + std::to_string(environment.local_world_size));
  }
  environment.master_addr = variable("MASTER_ADDR").value_or("");
  environment.master_port = integer_variable("MASTER_PORT", 1, 65535).value_or(0);
  return environment;
}

void require_rendezvous(const LaunchEnvironment& environment) {
  if (environment.world_size == 1) return;
  if (environment.master_addr.empty() || environment.master_port == 0) {
    throw std::invalid_argument("WORLD_SIZE is " + std::to_string(environment.world_size) +
                                " but MASTER_ADDR and MASTER_PORT are not both set: every process needs rank 0's "
                                "host and a free port there to meet");
  }
}

std::string describe_rank(const LaunchEnvironment& environment) {
  return "rank " + std::to_string(environment.rank) + "/" + std::to_string(environment.world_size);
}

}  // namespace shape
