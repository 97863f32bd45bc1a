// Subcommands of shape-cli. Each takes the arguments after its name and returns an exit code.
#pragma once

#include <string>
#include <vector>

namespace shape::cli {

int run_bench(const std::vector<std::string>& args);
int run_generate(const std::vector<std::string>& args);
int run_decode(const std::vector<std::string>& args);
int run_download(const std::vector<std::string>& args);
int run_train_encoder(const std::vector<std::string>& args);
int run_train_diffusion(const std::vector<std::string>& args);
int run_average_models(const std::vector<std::string>& args);
int run_evaluate_primitives(const std::vector<std::string>& args);
int run_evaluate_samplers(const std::vector<std::string>& args);

// Thrown for bad command lines; main prints the message and the usage.
struct UsageError {
  std::string message;
};

}  // namespace shape::cli
