// shape-cli generate --prompts-file FILE --out-dir DIR: one mesh per prompt line, the lines shared
// out over the processes of a job (RANK / WORLD_SIZE, launch_environment.h), resumable, with
// DIR/manifest.jsonl recording what was made from what.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "cli/model_options.h"
#include "cli/output_options.h"
#include "cli/sampler_options.h"

namespace shape::cli {

struct BulkGenerationRequest {
  std::filesystem::path prompts_file;
  std::filesystem::path out_dir;
  uint64_t default_seed = 0;       // for lines that give none
  std::optional<double> guidance;  // else the model's recommendation, else 15
};

// Returns the exit code: 0 when this process's lines are all made, 130 when Ctrl-C stopped it
// (finished outputs stay; the same command continues). Throws std::runtime_error naming the file and
// line of a malformed prompt line, before any model work.
int run_bulk_generation(const BulkGenerationRequest& request, const ModelOptions& models, const OutputOptions& outputs,
                        const SamplerOptions& sampler);

// The usage lines of the bulk options.
extern const char* const kBulkGenerationUsage;

}  // namespace shape::cli
