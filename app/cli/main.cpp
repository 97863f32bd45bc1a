// shape-cli: Shape Studio on the command line.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "inference/diffusion/generation_cancelled.h"
#include "inference/launch_environment.h"
#include "inference/runtime.h"
#include "inference/weights/downloader.h"
#include "inference/weights/weights_unavailable.h"

namespace {

constexpr const char* kUsage = R"(usage: shape-cli <command> [options]

commands:
  generate             prompt or image -> 3D mesh (GLB/glTF/PLY/OBJ); see generate --help
  decode               saved latents -> mesh; see decode --help
  download             fetch the official weights into the cache; see download --help
  train-encoder        stage 1: 3D shapes -> latents (encoder + decoder); see train-encoder --help
  train-diffusion      stage 2: latent diffusion on captions; see train-diffusion --help
  average-models       the mean of several stage-2 models' weights; see average-models --help
  evaluate-primitives  shape/colour accuracy of a model on the procedural captions; see --help
  evaluate-samplers    few-step samplers' distance from a many-step reference; see --help
  info                 LibTorch version, threads and devices
  bench [options]      time the full-size models with random weights and print a table
      --only PART      transformer, decoder or load (default: both, and load with --load-dir)
      --config PATH    diffusion model YAML (default: resources/configs/text300M.yaml)
      --batch N        latents per transformer forward (default 2: one guided step)
      --repeats N      timed transformer forwards after a warm-up (default 2)
      --preset P, --sampler S, --steps N   the sampling whose time is projected from the
                       forward (default: the official preset; both presets are always listed)
      --precision auto|fp32|bf16   transformer arithmetic (default auto, as generate)
      --profile        also list the operators that take one forward's time
      --decoder-config PATH  transmitter YAML (default: resources/configs/transmitter.yaml)
      --image-size N   NeRF view size in pixels (default: 64 and 128)
      --grid N         STF grid size (default: 128 and 256)
      --load-dir DIR   also time loading DIR's text_cond.pt, ViT-L-14.pt and transmitter.pt
                       (official or full-size stand-ins) and its peak memory
  help                 this text
)";

}  // namespace

int main(int argc, char** argv) {
  shape::configure_memory_reuse();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  try {
    shape::configure_torch_threads(shape::read_launch_environment().local_world_size);
    if (command == "info") {
      std::cout << "Shape Studio " << SHAPE_STUDIO_VERSION << "\n" << shape::torch_runtime_summary() << "\n";
      return 0;
    }
    if (command == "bench") return shape::cli::run_bench(args);
    if (command == "generate") return shape::cli::run_generate(args);
    if (command == "decode") return shape::cli::run_decode(args);
    if (command == "download") return shape::cli::run_download(args);
    if (command == "train-encoder") return shape::cli::run_train_encoder(args);
    if (command == "train-diffusion") return shape::cli::run_train_diffusion(args);
    if (command == "average-models") return shape::cli::run_average_models(args);
    if (command == "evaluate-primitives") return shape::cli::run_evaluate_primitives(args);
    if (command == "evaluate-samplers") return shape::cli::run_evaluate_samplers(args);
    throw shape::cli::UsageError{"unknown command '" + command + "'"};
  } catch (const shape::cli::UsageError& error) {
    std::cerr << "shape-cli: " << error.message << "\n\n" << kUsage;
    return 2;
  } catch (const shape::GenerationCancelled&) {
    std::cerr << "\nshape-cli: cancelled; nothing was written\n";
    return 130;
  } catch (const shape::DownloadCancelled&) {
    std::cerr << "\nshape-cli: download cancelled; run the same command again to resume it\n";
    return 130;
  } catch (const shape::WeightsUnavailable& error) {
    std::cerr << "shape-cli: " << error.what()
              << "\n(add --download to fetch them, or --weights-dir DIR if you downloaded them by hand)\n";
    return 1;
  } catch (const std::exception& error) {
    std::cerr << "shape-cli: error: " << error.what() << "\n";
    return 1;
  }
}
