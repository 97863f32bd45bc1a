// Where downloaded model files are kept.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace shape {

// Reads an environment variable; returns nullopt when it is unset or empty.
using EnvironmentLookup = std::function<std::optional<std::string>(const char* name)>;

// The process environment (std::getenv).
std::optional<std::string> process_environment(const char* name);

// The download cache, first match wins: `explicit_directory`, $SHAPE_STUDIO_CACHE,
// $XDG_CACHE_HOME/shape-studio, $HOME/.cache/shape-studio. Relative paths are made absolute.
// Throws std::runtime_error when none of them is set. Creates nothing.
std::filesystem::path resolve_cache_directory(const std::optional<std::filesystem::path>& explicit_directory = {},
                                              const EnvironmentLookup& environment = process_environment);

// Creates the directory (and parents) if needed and checks that files can be created in it.
// Throws std::runtime_error naming the directory and the system's reason.
void prepare_writable_directory(const std::filesystem::path& directory);

}  // namespace shape
