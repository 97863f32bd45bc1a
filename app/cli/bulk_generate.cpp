#include "cli/bulk_generate.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/interrupt.h"
#include "inference/checkpoint/json_parser.h"
#include "inference/diffusion/generation_cancelled.h"
#include "inference/launch_environment.h"
#include "inference/pipeline/latent_decoder.h"
#include "inference/pipeline/latent_generator.h"
#include "inference/weights/progress_bar.h"

namespace shape::cli {
namespace fs = std::filesystem;
using checkpoint_detail::json_string;

const char* const kBulkGenerationUsage = R"(  bulk generation (instead of --prompt):
      --prompts-file FILE      one prompt per line, optionally a tab and that line's seed (else
                               --seed); blank lines and lines starting with # are skipped
      --out-dir DIR            one mesh per line, named <line>-<prompt>-seed<N>.<format>, and
                               DIR/manifest.jsonl: prompt, seed, file, model and settings of each.
                               Outputs already made are skipped, so the same command resumes. With
                               RANK and WORLD_SIZE set, this process makes every WORLD_SIZE-th line.
)";

namespace {

constexpr const char* kManifestFile = "manifest.jsonl";

struct PromptLine {
  size_t line = 0;  // in the prompts file, from 1
  std::string prompt;
  uint64_t seed = 0;
  std::string output;  // file name in the output folder
};

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

// "a Red chair!" -> "a-red-chair": ASCII letters and digits, the rest as single hyphens, 40 at most.
std::string file_name_part(const std::string& prompt) {
  std::string part;
  for (const char c : prompt) {
    if (std::isalnum(static_cast<unsigned char>(c)) && static_cast<unsigned char>(c) < 0x80) {
      part += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!part.empty() && part.back() != '-') {
      part += '-';
    }
    if (part.size() >= 40) break;
  }
  while (!part.empty() && part.back() == '-') part.pop_back();
  return part.empty() ? "prompt" : part;
}

std::vector<PromptLine> read_prompts_file(const fs::path& file, uint64_t default_seed, const std::string& extension) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read the prompts file " + file.string() + ": " + std::strerror(errno));
  std::vector<PromptLine> prompts;
  std::string text;
  for (size_t number = 1; std::getline(in, text); ++number) {
    text = trim(text);
    if (text.empty() || text[0] == '#') continue;
    const auto where = file.string() + " line " + std::to_string(number);
    PromptLine line{number, text, default_seed, {}};
    const auto tab = text.rfind('\t');
    if (tab != std::string::npos) {
      line.prompt = trim(text.substr(0, tab));
      const auto seed = trim(text.substr(tab + 1));
      try {
        size_t used = 0;
        if (seed.empty() || !std::isdigit(static_cast<unsigned char>(seed[0]))) throw std::invalid_argument(seed);
        line.seed = std::stoull(seed, &used);
        if (used != seed.size()) throw std::invalid_argument(seed);
      } catch (const std::exception&) {
        throw std::runtime_error(where + ": the seed after the tab must be a non-negative integer, got '" + seed + "'");
      }
      if (line.prompt.empty()) throw std::runtime_error(where + ": there is a seed but no prompt before it");
    }
    char number_part[16];
    std::snprintf(number_part, sizeof number_part, "%05zu", number);
    line.output = std::string(number_part) + "-" + file_name_part(line.prompt) + "-seed" + std::to_string(line.seed) +
                  extension;
    prompts.push_back(std::move(line));
  }
  if (in.bad()) throw std::runtime_error("cannot read the prompts file " + file.string() + ": read failed");
  if (prompts.empty()) {
    throw std::runtime_error(file.string() + " has no prompts (one per line; blank lines and # comments are skipped)");
  }
  return prompts;
}

// The outputs manifest.jsonl records, by file name: whether each has a mesh (false: the sample had
// no surface, so no file). A line cut short by a crash is skipped with a warning: its output is made again.
std::map<std::string, bool> read_manifest(const fs::path& path) {
  std::map<std::string, bool> made;
  std::ifstream in(path);
  std::string text;
  for (size_t number = 1; std::getline(in, text); ++number) {
    try {
      const auto record = checkpoint_detail::parse_json(text);
      made[record.at("output").as_string()] = record.at("surface").as_bool();
    } catch (const std::exception& error) {
      std::fprintf(stderr, "warning: %s line %zu is not a complete record (%s); its output will be made again\n",
                   path.c_str(), number, error.what());
    }
  }
  return made;
}

// One whole line per write() on an O_APPEND file: the processes of a job append to the same
// manifest without interleaving (on a local file system).
void append_line(const fs::path& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
  const std::string bytes = line + "\n";
  const bool written = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) && ::fsync(fd) == 0;
  const int error = errno;
  ::close(fd);
  if (!written) throw std::runtime_error("cannot append to " + path.string() + ": " + std::strerror(error));
}

std::string manifest_record(const PromptLine& line, bool surface, size_t triangles, const ModelFileSet& files,
                            const GenerationSettings& settings, Precision precision, const OutputOptions& outputs,
                            const LaunchEnvironment& launch, double seconds) {
  const auto path = [](const fs::path& file) { return json_string(file.string()); };
  char number[64];
  std::snprintf(number, sizeof number, "%.6g", settings.guidance_scale);
  std::string record = "{\"line\": " + std::to_string(line.line) + ", \"prompt\": " + json_string(line.prompt) +
                       ", \"seed\": " + std::to_string(line.seed) + ", \"output\": " + json_string(line.output) +
                       ", \"surface\": " + (surface ? "true" : "false") + ", \"triangles\": " + std::to_string(triangles) +
                       ", \"model\": " + json_string(files.label) + ", \"model_files\": {\"transformer_config\": " +
                       path(files.generator.transformer_config) + ", \"transformer_weights\": " +
                       path(files.generator.transformer_weights) + ", \"clip_weights\": " +
                       path(files.generator.clip_weights) + ", \"decoder_weights\": " + path(files.decoder_weights) +
                       "}, \"sampler\": " + json_string(sampler_name(settings.sampler)) + ", \"steps\": " +
                       std::to_string(settings.steps) + ", \"guidance\": " + number + ", \"precision\": " +
                       json_string(precision_name(precision)) + ", \"grid\": " + std::to_string(outputs.grid_size);
  std::snprintf(number, sizeof number, "%.3f", seconds);
  return record + ", \"rank\": " + std::to_string(launch.rank) + ", \"seconds\": " + number + "}";
}

}  // namespace

int run_bulk_generation(const BulkGenerationRequest& request, const ModelOptions& models, const OutputOptions& outputs,
                        const SamplerOptions& sampler) {
  const auto launch = read_launch_environment();
  const auto export_options = outputs.export_options();
  const auto precision = models.resolved_precision();
  const auto prompts = read_prompts_file(request.prompts_file, request.default_seed, file_extension(export_options.format));
  fs::create_directories(request.out_dir);
  const fs::path manifest = request.out_dir / kManifestFile;
  check_output_writable(manifest);

  const auto made = read_manifest(manifest);
  std::vector<const PromptLine*> pending;
  size_t mine = 0;
  for (size_t i = static_cast<size_t>(launch.rank); i < prompts.size(); i += static_cast<size_t>(launch.world_size)) {
    ++mine;
    const auto record = made.find(prompts[i].output);
    const bool done = record != made.end() && (!record->second || fs::exists(request.out_dir / prompts[i].output));
    if (!done) pending.push_back(&prompts[i]);
  }
  const std::string rank = describe_rank(launch);
  std::fprintf(stderr, "[%s] %zu of %zu prompts are this process's: %zu already made, %zu to make\n", rank.c_str(), mine,
               prompts.size(), mine - pending.size(), pending.size());
  if (pending.empty()) return 0;

  CancelOnInterrupt interrupt;
  const auto files = resolve_model_files(models, ConditioningMode::kText, false, &interrupt_flag());
  if (!files.notice.empty()) std::fprintf(stderr, "note: %s\n", files.notice.c_str());
  GenerationSettings settings;
  choose_guidance(settings, request.guidance, files.recommended_guidance, 15.0);
  const auto choice = sampler.choice();
  settings.sampler = choice.sampler;
  settings.steps = choice.steps;
  LatentGenerator generator(files.generator, models.device, precision);
  LatentDecoder decoder(files.decoder_config, files.decoder_weights, models.device, precision);

  const auto start = std::chrono::steady_clock::now();
  size_t done = 0;
  try {
    for (const PromptLine* line : pending) {
      if (interrupt_flag()) throw GenerationCancelled();
      const auto line_start = std::chrono::steady_clock::now();
      settings.seed = line->seed;
      const auto result = generator.generate({Condition{line->prompt, {}}}, settings, nullptr, &interrupt_flag());
      for (const auto& notice : result.notices) {
        std::fprintf(stderr, "note: %s line %zu: %s\n", request.prompts_file.c_str(), line->line, notice.c_str());
      }
      const auto mesh = decoder.decode_mesh(result.latents.at(0), {outputs.grid_size, outputs.dense_grid});
      if (interrupt_flag()) throw GenerationCancelled();
      size_t triangles = 0;
      if (mesh.empty()) {
        std::fprintf(stderr, "warning: %s line %zu: the sample has no surface; no mesh written\n",
                     request.prompts_file.c_str(), line->line);
      } else {
        triangles = export_mesh(mesh, request.out_dir / line->output, export_options).triangles;
      }
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - line_start).count();
      append_line(manifest, manifest_record(*line, !mesh.empty(), triangles, files, settings, precision, outputs,
                                            launch, seconds));
      ++done;
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr, "[%s] %zu/%zu %s  %.1f s  ETA %s\n", rank.c_str(), done, pending.size(),
                   line->output.c_str(), seconds,
                   format_duration(elapsed / static_cast<double>(done) * static_cast<double>(pending.size() - done)).c_str());
    }
  } catch (const GenerationCancelled&) {
    std::fprintf(stderr, "\n[%s] cancelled after %zu of %zu; finished outputs are kept: run the same command again to "
                         "make the rest\n", rank.c_str(), done, pending.size());
    return 130;
  }
  std::printf("[%s] made %zu outputs in %s\n", rank.c_str(), done, request.out_dir.c_str());
  return 0;
}

}  // namespace shape::cli
