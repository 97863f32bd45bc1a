// shape-studio: Shap-E text/image → 3D in a window.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "gui/app_options.h"
#include "gui/studio_app.h"
#include "inference/runtime.h"

int main(int argc, char** argv) {
  using namespace shape;
  configure_memory_reuse();
  studio::AppOptions options;
  try {
    options = studio::parse_app_options(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const cli::UsageError& error) {
    std::cerr << "shape-studio: " << error.message << "\n\n" << studio::kStudioUsage;
    return 2;
  }
  if (options.help) {
    std::cout << studio::kStudioUsage << cli::kModelOptionsUsage;
    return 0;
  }
  configure_torch_threads();
  return studio::run_studio(options);
}
