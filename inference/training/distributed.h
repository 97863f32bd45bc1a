// Data-parallel training over LibTorch's own distributed engine: c10d's Gloo process group, met
// through a TCPStore at MASTER_ADDR:MASTER_PORT (launch_environment.h). Each rank runs the same step
// on its share of the global batch; gradients are summed over the ranks in buckets and divided by
// the world size, so every rank's optimizer takes the global batch's mean-loss step and the weights
// stay identical. A job of one process opens no process group: every call returns at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include "inference/launch_environment.h"
#include "inference/training/training_run.h"

namespace shape::training {

struct DistributedOptions {
  LaunchEnvironment launch;  // world size 1: a single process, no process group
  // How long the ranks wait for each other (meeting, and each collective) before failing: the bound
  // on how long a hung rank holds the others up. A rank that dies is noticed at once.
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  int64_t bucket_bytes = 25 << 20;  // gradients per allreduce, as PyTorch's DDP
};

// A collective operation failed: another rank stopped (killed, crashed) or did not answer within the
// timeout. The message names this rank and what it was doing.
class DistributedError : public TrainingError {
 public:
  using TrainingError::TrainingError;
};

class DataParallel {
 public:
  // Meets the other ranks (a DistributedError if they do not all arrive within the timeout).
  explicit DataParallel(const DistributedOptions& options);
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int rank() const { return options_.launch.rank; }
  int world_size() const { return options_.launch.world_size; }
  bool is_root() const { return rank() == 0; }  // writes the run folder
  bool distributed() const { return world_size() > 1; }

  // Rank 0's values into every rank's tensors, in place (initial weights).
  void broadcast_parameters(const std::vector<torch::Tensor>& tensors);
  // The mean over ranks of the gradient of each of the optimizer's parameters, in place, in buckets of
  // bucket_bytes. Parameters without a gradient are left alone: every rank runs the same graph, so
  // they are the same ones on every rank.
  void average_gradients(const torch::optim::Optimizer& optimizer);
  // Replaces this rank's `losses` by their mean over the ranks (what one process would log), and
  // says whether any rank asks to `stop` (Ctrl-C), so that all stop after the same step.
  bool average_losses_and_stop(std::vector<double>& losses, bool stop);

  // Mean wall time of an average_gradients call so far: the communication's cost per step, with any
  // wait for a slower rank.
  double seconds_per_gradient_average() const { return averages_ == 0 ? 0.0 : gradient_seconds_ / averages_; }
  // A DistributedError unless every rank passes the same value (e.g. the step it resumes from).
  void require_same(int64_t value, const std::string& what);

 private:
  struct Group;
  DistributedOptions options_;
  std::unique_ptr<Group> group_;
  double gradient_seconds_ = 0.0;
  int64_t averages_ = 0;
};

}  // namespace shape::training
