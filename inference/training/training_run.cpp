#include "inference/training/training_run.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include <ATen/CPUGeneratorImpl.h>

#include "inference/checkpoint/checkpoint.h"
#include "inference/export/file_io.h"

namespace shape::training {
namespace fs = std::filesystem;
namespace {

constexpr const char* kModelFile = "model.safetensors";
constexpr const char* kOptimizerFile = "optimizer.safetensors";
constexpr const char* kProgressFile = "progress.txt";

std::string join(const std::vector<std::string>& parts) {
  std::string line;
  for (const auto& part : parts) line += (line.empty() ? "" : ",") + part;
  return line;
}

std::string checkpoint_name(int64_t step) {
  std::ostringstream name;
  name << "step-" << std::setw(6) << std::setfill('0') << step;
  return name.str();
}

std::string read_text(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw TrainingError(path.string() + ": cannot be read");
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// SplitMix64: decorrelates nearby (seed, step) pairs.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

LossLog::LossLog(const fs::path& path, std::vector<std::string> columns, int64_t resume_step)
    : path_(path), columns_(std::move(columns)) {
  std::vector<std::string> header_columns{"step", "seconds"};
  header_columns.insert(header_columns.end(), columns_.begin(), columns_.end());
  const std::string header = join(header_columns);

  std::string kept = header + "\n";
  if (resume_step > 0 && fs::exists(path)) {
    std::istringstream existing(read_text(path));
    std::string line;
    std::getline(existing, line);
    if (line != header) {
      throw TrainingError(path.string() + ": its columns '" + line + "' differ from this run's '" + header + "'");
    }
    while (std::getline(existing, line)) {
      if (line.empty()) continue;
      if (std::stoll(line.substr(0, line.find(','))) > resume_step) break;
      kept += line + "\n";
    }
  }
  write_files_atomically({{path, kept}});
  file_.open(path, std::ios::app);
  if (!file_) throw TrainingError(path.string() + ": cannot be opened for appending");
}

void LossLog::append(int64_t step, double seconds, const std::vector<double>& values) {
  file_ << step << ',' << std::setprecision(6) << seconds;
  for (const double value : values) file_ << ',' << std::setprecision(8) << value;
  file_ << '\n';
  file_.flush();
}

std::vector<std::pair<std::string, double>> LossLog::named(const std::vector<double>& values) const {
  std::vector<std::pair<std::string, double>> result;
  for (size_t i = 0; i < values.size(); ++i) result.emplace_back(columns_.at(i), values[i]);
  return result;
}

void save_training_checkpoint(const fs::path& run_dir, int64_t step, double seconds, const NamedTensors& model,
                              const torch::optim::Adam& optimizer, const std::map<std::string, std::string>& metadata) {
  const fs::path checkpoints = run_dir / "checkpoints";
  const std::string name = checkpoint_name(step);
  const fs::path folder = checkpoints / name;
  fs::create_directories(folder);

  std::ostringstream progress;
  progress << "step " << step << "\nseconds " << std::setprecision(17) << seconds << "\n";

  // `latest` is renamed into place last: a checkpoint counts only once all its files are complete.
  write_files_atomically({{folder / kModelFile, serialize_safetensors(model, metadata)},
                          {folder / kOptimizerFile, serialize_safetensors(adam_state_tensors(optimizer))},
                          {folder / kProgressFile, progress.str()},
                          {checkpoints / "latest", name + "\n"}});

  // Keep this checkpoint and the one before it.
  std::vector<fs::path> folders;
  for (const auto& entry : fs::directory_iterator(checkpoints)) {
    if (entry.is_directory() && entry.path().filename().string().rfind("step-", 0) == 0) folders.push_back(entry.path());
  }
  std::sort(folders.begin(), folders.end());
  std::error_code ignored;
  for (size_t i = 0; i + 2 < folders.size(); ++i) fs::remove_all(folders[i], ignored);
}

std::optional<TrainingCheckpoint> load_latest_checkpoint(const fs::path& run_dir) {
  const fs::path latest = run_dir / "checkpoints" / "latest";
  if (!fs::exists(latest)) return std::nullopt;
  std::string name = read_text(latest);
  while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) name.pop_back();
  if (name.rfind("step-", 0) != 0 || name.find('/') != std::string::npos) {
    throw TrainingError(latest.string() + ": does not name a checkpoint folder ('" + name + "')");
  }
  TrainingCheckpoint checkpoint;
  checkpoint.folder = run_dir / "checkpoints" / name;
  std::istringstream progress(read_text(checkpoint.folder / kProgressFile));
  std::string key_step, key_seconds;
  if (!(progress >> key_step >> checkpoint.step >> key_seconds >> checkpoint.seconds) || key_step != "step" ||
      key_seconds != "seconds") {
    throw TrainingError((checkpoint.folder / kProgressFile).string() + ": is damaged");
  }
  checkpoint.model = load_checkpoint(checkpoint.folder / kModelFile);
  return checkpoint;
}

void load_optimizer_state(const TrainingCheckpoint& checkpoint, torch::optim::Adam& optimizer) {
  const fs::path path = checkpoint.folder / kOptimizerFile;
  load_adam_state(optimizer, load_checkpoint(path), path.string());
}

NamedTensors adam_state_tensors(const torch::optim::Adam& optimizer) {
  NamedTensors tensors;
  const auto& groups = optimizer.param_groups();
  for (size_t g = 0; g < groups.size(); ++g) {
    const auto& params = groups[g].params();
    for (size_t i = 0; i < params.size(); ++i) {
      const auto found = optimizer.state().find(c10::guts::to_string(params[i].unsafeGetTensorImpl()));
      if (found == optimizer.state().end()) continue;  // never stepped
      const auto& state = static_cast<const torch::optim::AdamParamState&>(*found->second);
      const std::string prefix = std::to_string(g) + "." + std::to_string(i) + ".";
      tensors.emplace_back(prefix + "step", torch::tensor(state.step(), torch::kLong));
      tensors.emplace_back(prefix + "exp_avg", state.exp_avg());
      tensors.emplace_back(prefix + "exp_avg_sq", state.exp_avg_sq());
      if (state.max_exp_avg_sq().defined()) tensors.emplace_back(prefix + "max_exp_avg_sq", state.max_exp_avg_sq());
    }
  }
  return tensors;
}

void load_adam_state(torch::optim::Adam& optimizer, const StateDict& saved, const std::string& source) {
  size_t used = 0;
  auto& groups = optimizer.param_groups();
  for (size_t g = 0; g < groups.size(); ++g) {
    const auto& params = groups[g].params();
    for (size_t i = 0; i < params.size(); ++i) {
      const std::string prefix = std::to_string(g) + "." + std::to_string(i) + ".";
      if (!saved.contains(prefix + "step")) continue;
      auto state = std::make_unique<torch::optim::AdamParamState>();
      state->step(saved.at(prefix + "step").item<int64_t>());
      for (const char* name : {"exp_avg", "exp_avg_sq"}) {
        const auto& moment = saved.at(prefix + name);
        if (moment.sizes() != params[i].sizes()) {
          throw TrainingError(source + ": the optimizer state of parameter " + prefix + " has another shape than the "
                              "model's: this checkpoint belongs to a different model");
        }
      }
      state->exp_avg(saved.at(prefix + "exp_avg").clone());
      state->exp_avg_sq(saved.at(prefix + "exp_avg_sq").clone());
      used += 3;
      if (saved.contains(prefix + "max_exp_avg_sq")) {
        state->max_exp_avg_sq(saved.at(prefix + "max_exp_avg_sq").clone());
        ++used;
      }
      optimizer.state()[c10::guts::to_string(params[i].unsafeGetTensorImpl())] = std::move(state);
    }
  }
  if (used != saved.size()) {
    throw TrainingError(source + ": the optimizer state has entries for parameters this model does not have");
  }
}

at::Generator step_generator(uint64_t seed, int64_t step, uint64_t stream) {
  return at::detail::createCPUGenerator(mix(mix(seed) ^ static_cast<uint64_t>(step) ^ mix(stream + 1)));
}

std::optional<TrainingCheckpoint> open_run(const fs::path& run_dir, bool resume) {
  std::error_code error;
  fs::create_directories(run_dir, error);
  if (error) throw TrainingError(run_dir.string() + ": cannot create the run folder (" + error.message() + ")");
  auto checkpoint = load_latest_checkpoint(run_dir);
  if (checkpoint && !resume) {
    throw TrainingError(run_dir.string() + " already holds a checkpoint at step " + std::to_string(checkpoint->step) +
                        "; pass --resume to continue it, or choose another run folder");
  }
  return resume ? checkpoint : std::nullopt;
}

void clear_gradients(torch::optim::Optimizer& optimizer) {
  for (auto& group : optimizer.param_groups()) {
    for (auto& parameter : group.params()) parameter.mutable_grad() = torch::Tensor();
  }
}

double warmup_cosine_learning_rate(double peak, int64_t warmup_steps, int64_t total_steps, int64_t step) {
  if (step < warmup_steps) return peak * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  const double progress =
      static_cast<double>(step - warmup_steps) / static_cast<double>(std::max<int64_t>(1, total_steps - warmup_steps));
  return peak * (0.1 + 0.9 * 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, progress))));
}

void set_learning_rate(torch::optim::Adam& optimizer, double rate) {
  for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(rate);
}

double eta_seconds(double seconds, int64_t steps_done_this_session, int64_t steps_left) {
  if (steps_done_this_session <= 0) return 0.0;
  return seconds / static_cast<double>(steps_done_this_session) * static_cast<double>(steps_left);
}

}  // namespace shape::training
