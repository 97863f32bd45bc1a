#include "inference/training/distributed.h"

#include <cstdlib>
#include <exception>

#include <c10/util/Exception.h>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/torch.h>

namespace shape::training {
namespace {

std::string without_backtrace(const std::exception& error) {
  if (const auto* torch_error = dynamic_cast<const c10::Error*>(&error)) return torch_error->what_without_backtrace();
  return error.what();
}

// GLOO_SOCKET_IFNAME picks the network interface, as in PyTorch; a job on one host stays on the
// loopback interface; otherwise the address this host's name resolves to.
std::shared_ptr<::gloo::transport::Device> gloo_device(const LaunchEnvironment& launch) {
  if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"); interface != nullptr && *interface != '\0') {
    return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
  }
  if (launch.master_addr == "localhost" || launch.master_addr.rfind("127.", 0) == 0) {
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  }
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

// Consecutive tensors of one dtype, together at most `bytes` (or a single larger tensor).
std::vector<std::vector<torch::Tensor>> buckets(const std::vector<torch::Tensor>& tensors, int64_t bytes) {
  std::vector<std::vector<torch::Tensor>> result;
  int64_t filled = 0;
  for (const auto& tensor : tensors) {
    const int64_t size = tensor.numel() * static_cast<int64_t>(tensor.element_size());
    if (result.empty() || result.back().front().scalar_type() != tensor.scalar_type() || filled + size > bytes) {
      result.emplace_back();
      filled = 0;
    }
    result.back().push_back(tensor);
    filled += size;
  }
  return result;
}

torch::Tensor flatten(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> flat;
  for (const auto& tensor : tensors) flat.push_back(tensor.detach().reshape(-1));
  return torch::cat(flat);
}

void unflatten(const torch::Tensor& flat, const std::vector<torch::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  int64_t offset = 0;
  for (const auto& tensor : tensors) {
    tensor.detach().copy_(flat.narrow(0, offset, tensor.numel()).view(tensor.sizes()));
    offset += tensor.numel();
  }
}

// Runs the collectives `start` launches and waits for them; failures become a DistributedError.
template <typename Start>
void run_collective(const LaunchEnvironment& launch, std::chrono::milliseconds timeout, const std::string& what,
                    Start start) {
  try {
    for (auto& work : start()) work->wait();
  } catch (const std::exception& error) {
    throw DistributedError(describe_rank(launch) + ": " + what + " failed: " + without_backtrace(error) +
                           "\nAnother rank stopped (killed or crashed) or did not answer within " +
                           std::to_string(timeout.count() / 1000) +
                           " s, so every rank stops. Start the job again with --resume to continue from the last "
                           "checkpoint.");
  }
}

}  // namespace

struct DataParallel::Group {
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> process_group;
};

DataParallel::DataParallel(const DistributedOptions& options) : options_(options) {
  if (!distributed()) return;
  const auto& launch = options_.launch;
  require_rendezvous(launch);
  const std::string where = launch.master_addr + ":" + std::to_string(launch.master_port);
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<std::uint16_t>(launch.master_port);
    store_options.isServer = is_root();
    store_options.numWorkers = static_cast<std::size_t>(world_size());
    store_options.timeout = options_.timeout;
    group_ = std::make_unique<Group>();
    group_->store = c10::make_intrusive<c10d::TCPStore>(launch.master_addr, store_options);
    auto gloo_options = c10d::ProcessGroupGloo::Options::create(options_.timeout);
    gloo_options->devices.push_back(gloo_device(launch));
    group_->process_group = c10::make_intrusive<c10d::ProcessGroupGloo>(group_->store, rank(), world_size(), gloo_options);
  } catch (const std::exception& error) {
    throw DistributedError(describe_rank(launch) + ": cannot meet the other ranks at " + where + " within " +
                           std::to_string(options_.timeout.count() / 1000) + " s: " + without_backtrace(error));
  }
}

DataParallel::~DataParallel() = default;

void DataParallel::broadcast_parameters(const std::vector<torch::Tensor>& tensors) {
  if (!distributed()) return;
  for (const auto& bucket : buckets(tensors, options_.bucket_bytes)) {
    std::vector<torch::Tensor> flat{flatten(bucket)};
    run_collective(options_.launch, options_.timeout, "broadcasting the initial weights", [&] {
      return std::vector<c10::intrusive_ptr<c10d::Work>>{group_->process_group->broadcast(flat)};
    });
    unflatten(flat[0], bucket);
  }
}

void DataParallel::average_gradients(const torch::optim::Optimizer& optimizer) {
  if (!distributed()) return;
  const auto start = std::chrono::steady_clock::now();
  std::vector<torch::Tensor> gradients;
  for (const auto& group : optimizer.param_groups()) {
    for (const auto& parameter : group.params()) {
      if (parameter.grad().defined()) gradients.push_back(parameter.grad());
    }
  }
  // Every bucket's allreduce is under way before the first is waited for: Gloo's threads overlap them.
  std::vector<std::vector<torch::Tensor>> groups = buckets(gradients, options_.bucket_bytes);
  std::vector<std::vector<torch::Tensor>> flats;
  for (const auto& group : groups) flats.push_back({flatten(group)});
  run_collective(options_.launch, options_.timeout, "averaging gradients", [&] {
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    for (auto& flat : flats) works.push_back(group_->process_group->allreduce(flat));
    return works;
  });
  for (size_t i = 0; i < groups.size(); ++i) unflatten(flats[i][0].div_(world_size()), groups[i]);
  gradient_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ++averages_;
}

bool DataParallel::average_losses_and_stop(std::vector<double>& losses, bool stop) {
  if (!distributed()) return stop;
  auto values = losses;
  values.push_back(stop ? 1.0 : 0.0);
  std::vector<torch::Tensor> tensor{torch::tensor(values, torch::kFloat64)};
  run_collective(options_.launch, options_.timeout, "averaging the losses", [&] {
    return std::vector<c10::intrusive_ptr<c10d::Work>>{group_->process_group->allreduce(tensor)};
  });
  const auto sums = tensor[0].accessor<double, 1>();
  for (size_t i = 0; i < losses.size(); ++i) losses[i] = sums[static_cast<int64_t>(i)] / world_size();
  return sums[static_cast<int64_t>(losses.size())] > 0.0;
}

void DataParallel::require_same(int64_t value, const std::string& what) {
  if (!distributed()) return;
  // The largest value and the largest negated one: the range every rank sees.
  std::vector<torch::Tensor> tensor{torch::tensor({value, -value}, torch::kLong)};
  c10d::AllreduceOptions maximum;
  maximum.reduceOp = c10d::ReduceOp::MAX;
  run_collective(options_.launch, options_.timeout, "comparing " + what, [&] {
    return std::vector<c10::intrusive_ptr<c10d::Work>>{group_->process_group->allreduce(tensor, maximum)};
  });
  const int64_t highest = tensor[0][0].item<int64_t>(), lowest = -tensor[0][1].item<int64_t>();
  if (highest != lowest) {
    throw DistributedError(describe_rank(options_.launch) + ": the ranks disagree on " + what + " (from " +
                           std::to_string(lowest) + " to " + std::to_string(highest) + "; this rank: " +
                           std::to_string(value) + ")");
  }
}

}  // namespace shape::training
