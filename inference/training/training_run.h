// What both training stages share: the run folder with its loss curve (loss.csv) and its
// checkpoints, which are written crash-safely so that a run killed at any moment resumes exactly.
//
// Layout of a run folder:
//   loss.csv                      step,seconds,<loss columns...>  (one row per logged step)
//   checkpoints/latest            the name of the newest complete checkpoint folder
//   checkpoints/step-000500/      model.safetensors, optimizer.safetensors, progress.txt
//
// Every random draw of a step is a function of (seed, step), so a checkpoint needs no RNG state:
// model + optimizer + step resume a run bitwise (on the CPU, with the same thread count).
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <stdexcept>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <torch/optim/adam.h>
#include <torch/types.h>

#include "inference/checkpoint/safetensors_writer.h"
#include "inference/checkpoint/state_dict.h"

namespace shape::training {

// Raised for a run that cannot start or continue: the message says what to do.
class TrainingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TrainingProgress {
  int64_t step = 0;  // steps done
  int64_t total_steps = 0;
  double seconds = 0.0;  // training time so far, across resumes
  double eta_seconds = 0.0;
  std::vector<std::pair<std::string, double>> losses;  // the latest logged values
  std::string phase;  // empty for the training steps proper; else what runs before them
};
using TrainingCallback = std::function<void(const TrainingProgress&)>;

// Appends rows to <run>/loss.csv, flushing each, so a live reader (the GUI) sees them at once.
class LossLog {
 public:
  // Creates the file with its header, or (resuming) keeps the rows up to `resume_step` and drops
  // later ones, which the resumed run will log again. A header that differs is an error.
  LossLog(const std::filesystem::path& path, std::vector<std::string> columns, int64_t resume_step);
  void append(int64_t step, double seconds, const std::vector<double>& values);
  // `values` under their column names, as a progress report lists them.
  std::vector<std::pair<std::string, double>> named(const std::vector<double>& values) const;

 private:
  std::filesystem::path path_;
  std::vector<std::string> columns_;
  std::ofstream file_;
};

struct TrainingCheckpoint {
  std::filesystem::path folder;
  int64_t step = 0;
  double seconds = 0.0;
  StateDict model;
};

// Writes a checkpoint folder, then points checkpoints/latest at it; older folders but the
// previous one are removed. Throws ExportError on an I/O failure (the previous checkpoint stays).
void save_training_checkpoint(const std::filesystem::path& run_dir, int64_t step, double seconds,
                              const NamedTensors& model, const torch::optim::Adam& optimizer,
                              const std::map<std::string, std::string>& metadata = {});

// The newest complete checkpoint of a run, or nullopt if it has none. Throws TrainingError or
// CheckpointError for a damaged one.
std::optional<TrainingCheckpoint> load_latest_checkpoint(const std::filesystem::path& run_dir);

// Restores the optimizer state saved with a checkpoint. Throws TrainingError if it does not fit.
void load_optimizer_state(const TrainingCheckpoint& checkpoint, torch::optim::Adam& optimizer);

// Adam's per-parameter state by parameter position ("<group>.<index>.exp_avg", ...). LibTorch's own
// optimizer archive keys states by tensor address, and maps them back in an order that depends on
// those addresses, so a resumed run could give one parameter another's moments.
NamedTensors adam_state_tensors(const torch::optim::Adam& optimizer);
void load_adam_state(torch::optim::Adam& optimizer, const StateDict& state, const std::string& source);

// A CPU generator for the draws of one step (or one setup purpose, with step < 0).
at::Generator step_generator(uint64_t seed, int64_t step, uint64_t stream = 0);

// Creates the run folder. With `resume`, returns its newest checkpoint (none: the run starts from
// step 0). Without, a folder that already holds a checkpoint is a TrainingError, so nothing is
// overwritten by accident.
std::optional<TrainingCheckpoint> open_run(const std::filesystem::path& run_dir, bool resume);

// Drops the gradients (as PyTorch's zero_grad(set_to_none=True)), so a parameter a step does not
// use is left alone by Adam. Zeroed gradients would instead make Adam keep moving parameters it
// saw earlier in the same process only, and a resumed run would then differ from an uninterrupted one.
void clear_gradients(torch::optim::Optimizer& optimizer);

// Both stages' schedule: linear warm-up over `warmup_steps`, then cosine decay to a tenth of `peak`
// at `total_steps`; applied to every parameter group of an Adam optimizer.
double warmup_cosine_learning_rate(double peak, int64_t warmup_steps, int64_t total_steps, int64_t step);
void set_learning_rate(torch::optim::Adam& optimizer, double rate);

// Mean seconds per step so far, for ETAs.
double eta_seconds(double seconds, int64_t steps_done_this_session, int64_t steps_left);

}  // namespace shape::training
