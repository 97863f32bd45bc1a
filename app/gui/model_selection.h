// Which model files shape-studio loads, in one place: the command line's model options (the same as
// shape-cli's) with the files chosen in the Models panel in place of the official ones. A built-in
// fallback model would be chosen here too.
#pragma once

#include "cli/model_options.h"
#include "gui/custom_models.h"
#include "gui/generation_worker.h"
#include "inference/weights/weights_store.h"

namespace shape::studio {

// The panel's paths as given on the command line (empty fields where an option is absent).
CustomModelPaths custom_paths_of(const cli::ModelOptions& options);
// `saved` with every path the command line gives replacing the saved one.
CustomModelPaths merge_custom_paths(const CustomModelPaths& saved, const cli::ModelOptions& command_line);
// The options to load with: the command line's, with `paths` as the custom files and weights folder.
cli::ModelOptions with_custom_paths(cli::ModelOptions options, const CustomModelPaths& paths);

// Finds the files for a mode on the worker thread; throws std::runtime_error with the user's message.
ModelResolver make_model_resolver(const cli::ModelOptions& options);
// Where official files are looked for and downloaded to (a usable default even when the cache
// folder cannot be worked out).
WeightsLocations model_locations(const cli::ModelOptions& options);
// "custom files replace: diffusion model, decoder" (empty when all files are official).
std::string custom_models_note(const cli::ModelOptions& options);

}  // namespace shape::studio
