// Shared by the front-end tests: the golden small models as model files and as command-line
// options, and running a command line to get its exit code and output.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "inference/pipeline/official_models.h"

namespace shape::testing {

inline std::string golden_file(const std::string& name) { return std::string(SHAPE_GOLDEN_DIR) + "/" + name; }

// The golden e2e models of `kind` ("text" or "image") in place of the official files. The text
// set reads CLIP from its TorchScript form (like ViT-L-14.pt), the image set from the state dict.
inline ModelFileSet golden_model_files(const std::string& kind) {
  ModelFileSet files;
  files.generator.transformer_config = golden_file("e2e." + kind + ".transformer.yaml");
  files.generator.transformer_weights = golden_file("e2e_" + kind + ".transformer.state_dict.pt");
  files.generator.diffusion_config = golden_file("e2e.diffusion.yaml");
  files.generator.clip_weights = golden_file(kind == "text" ? "clip.jit.pt" : "clip.weights.pt");
  files.generator.clip_config = golden_file("e2e.clip.json");
  files.decoder_config = golden_file("e2e.decoder.yaml");
  files.decoder_weights = golden_file("decoder.weights.pt");
  return files;
}

inline std::string shell_quoted(const std::string& text) { return "'" + text + "'"; }

// The same files as shape-cli / shape-studio options.
inline std::string golden_model_arguments(const std::string& kind) {
  const auto files = golden_model_files(kind);
  return " --config " + shell_quoted(files.generator.transformer_config) + " --weights " +
         shell_quoted(files.generator.transformer_weights) + " --diffusion-config " +
         shell_quoted(files.generator.diffusion_config) + " --clip-weights " + shell_quoted(files.generator.clip_weights) +
         " --clip-config " + shell_quoted(files.generator.clip_config) + " --decoder-config " +
         shell_quoted(files.decoder_config) + " --decoder-weights " + shell_quoted(files.decoder_weights);
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

inline CommandResult run_shell(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  char chunk[4096];
  for (size_t n; (n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0;) result.output.append(chunk, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace shape::testing
