// shape-cli: Shape Studio on the command line.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "inference/runtime.h"

namespace {

constexpr const char* kUsage = R"(usage: shape-cli <command> [options]

commands:
  info                 LibTorch version, threads and devices
  bench [options]      time the full-size models with random weights and print a table
      --only PART      transformer or decoder (default: both)
      --config PATH    diffusion model YAML (default: resources/configs/text300M.yaml)
      --batch N        latents per transformer forward (default 2: one guided step)
      --repeats N      timed transformer forwards after a warm-up (default 2)
      --steps N        sampler steps for the projected sampling time (default 64)
      --decoder-config PATH  transmitter YAML (default: resources/configs/transmitter.yaml)
      --image-size N   NeRF view size in pixels (default 128)
      --grid N         STF grid size (default 128)
  help                 this text
)";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  try {
    shape::configure_torch_threads();
    if (command == "info") {
      std::cout << "Shape Studio " << SHAPE_STUDIO_VERSION << "\n" << shape::torch_runtime_summary() << "\n";
      return 0;
    }
    if (command == "bench") return shape::cli::run_bench(args);
    throw shape::cli::UsageError{"unknown command '" + command + "'"};
  } catch (const shape::cli::UsageError& error) {
    std::cerr << "shape-cli: " << error.message << "\n\n" << kUsage;
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "shape-cli: error: " << error.what() << "\n";
    return 1;
  }
}
