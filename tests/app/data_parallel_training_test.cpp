// Data-parallel training (inference/training/distributed.h) as users launch it: shape-cli processes
// on 127.0.0.1 with RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT set, as torchrun would.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "inference/checkpoint/checkpoint.h"
#include "tests/app/app_test_support.h"

namespace fs = std::filesystem;

namespace shape::testing {
namespace {

std::string cli() { return shell_quoted(SHAPE_CLI_PATH); }
std::string fixture(const std::string& name) {
  return shell_quoted(std::string(SHAPE_TEST_FIXTURES_DIR) + "/training/" + name);
}

// A port nothing listens on now (the kernel's pick), for a job's rendezvous.
int free_port() {
  const int socket_fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(socket_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(socket_fd);
    return 29500;
  }
  ::close(socket_fd);
  return ntohs(address.sin_port);
}

// The largest element-wise difference between two weight files with the same tensors.
double max_difference(const fs::path& a, const fs::path& b) {
  const auto first = load_checkpoint(a), second = load_checkpoint(b);
  EXPECT_EQ(first.keys(), second.keys());
  double largest = 0.0;
  for (const auto& key : first.keys()) {
    largest = std::max(largest, (first.at(key) - second.at(key)).abs().max().item<double>());
  }
  return largest;
}

// loss.csv's loss column.
std::vector<double> losses(const fs::path& loss_csv) {
  std::istringstream lines(read_text(loss_csv));
  std::string line;
  std::getline(lines, line);  // header
  std::vector<double> values;
  while (std::getline(lines, line)) {
    const auto first = line.find(','), second = line.find(',', first + 1);
    values.push_back(std::stod(line.substr(second + 1)));
  }
  return values;
}

class DataParallelTraining : public TestWithFolder {
 protected:
  // The environment of rank `rank` of a job of `world` processes on this host.
  static std::string rank_environment(int rank, int world, int port) {
    return "RANK=" + std::to_string(rank) + " WORLD_SIZE=" + std::to_string(world) + " LOCAL_RANK=" +
           std::to_string(rank) + " LOCAL_WORLD_SIZE=" + std::to_string(world) +
           " MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port);
  }

  // Runs `command` as every rank of a job of `world` processes at once; each rank's exit code and output.
  std::vector<CommandResult> run_ranks(const std::string& command, int world, const std::string& label) {
    const int port = free_port();
    std::string script;
    for (int rank = 0; rank < world; ++rank) {
      const std::string out = shell_quoted(path(label + ".rank" + std::to_string(rank)));
      script += "(" + rank_environment(rank, world, port) + " " + command + " > " + out + ".out 2>&1; echo $? > " + out +
                ".rc) &\n";
    }
    std::ofstream(path(label + ".sh")) << script << "wait\n";
    run_shell("bash " + shell_quoted(path(label + ".sh")));
    std::vector<CommandResult> results;
    for (int rank = 0; rank < world; ++rank) {
      const std::string out = path(label + ".rank" + std::to_string(rank));
      results.push_back({std::stoi(read_text(out + ".rc")), read_text(out + ".out")});
    }
    return results;
  }
};

const std::string kTinyEncoder = " train-encoder --config " + fixture("tiny_transmitter.yaml") +
                                 " --shapes 6 --query-points 64 --log-every 1 --seed 3";

// Float tolerance of "the same weights": each rank takes the mean loss of its half of the batch and
// the halves' gradients are summed over the ranks, with one thread per rank, so sums run in another
// order than in one process and differ in their last bits. Adam divides by the gradients' size, which
// turns last-bit differences of gradients near its epsilon into visible ones: after 8 steps the
// largest difference seen was 5.8e-7 (seeds 1-3: 3e-8, 3e-8, 5.8e-7), while one process with only
// half the batch ends up to 6e-4 away, in 93% of the weights.
constexpr double kWeightTolerance = 5e-6;

TEST_F(DataParallelTraining, TwoRanksTrainTheEncoderAsOneProcessWithTheGlobalBatch) {
  const auto single = run_shell(cli() + kTinyEncoder + " --steps 8 --batch 4 --out " + path("single"));
  ASSERT_EQ(single.exit_code, 0) << single.output;
  const auto ranks = run_ranks(cli() + kTinyEncoder + " --steps 8 --batch 2 --out " + path("ranked"), 2, "ranked");
  for (const auto& rank : ranks) ASSERT_EQ(rank.exit_code, 0) << rank.output;
  EXPECT_NE(ranks[1].output.find("[rank 1/2] data-parallel: 4 shapes per step (2 per rank)"), std::string::npos)
      << ranks[1].output;

  const double difference =
      max_difference(path("single/transmitter.safetensors"), path("ranked/transmitter.safetensors"));
  EXPECT_LT(difference, kWeightTolerance);
  // The comparison tells batches apart: one process with only rank 0's half of the batch ends elsewhere.
  ASSERT_EQ(run_shell(cli() + kTinyEncoder + " --steps 8 --batch 2 --out " + path("half")).exit_code, 0);
  const double control = max_difference(path("single/transmitter.safetensors"), path("half/transmitter.safetensors"));
  EXPECT_GT(control, 20 * kWeightTolerance);
  std::printf("two ranks vs one process: max weight difference %.3g (other batch: %.3g)\n", difference, control);
  const auto single_losses = losses(path("single/loss.csv")), ranked_losses = losses(path("ranked/loss.csv"));
  ASSERT_EQ(single_losses.size(), 8u);
  ASSERT_EQ(ranked_losses.size(), 8u);  // rank 0 alone writes the run folder
  for (size_t i = 0; i < single_losses.size(); ++i) EXPECT_NEAR(ranked_losses[i], single_losses[i], 1e-5 * single_losses[i]);
}

TEST_F(DataParallelTraining, TwoRanksTrainTheDiffusionModelAsOneProcessWithTheGlobalBatch) {
  ASSERT_EQ(run_shell(cli() + kTinyEncoder + " --steps 1 --batch 2 --out " + path("encoder")).exit_code, 0);
  const std::string train = cli() + " train-diffusion --encoder-run " + path("encoder") + " --config " +
                            fixture("tiny_text_cond.yaml") + " --clip-config " + fixture("tiny_clip_text.json") +
                            " --shapes 6 --steps 3 --log-every 1 --seed 5";
  const auto single = run_shell(train + " --batch 4 --out " + path("single"));
  ASSERT_EQ(single.exit_code, 0) << single.output;
  const auto ranks = run_ranks(train + " --batch 2 --out " + path("ranked"), 2, "ranked");
  for (const auto& rank : ranks) ASSERT_EQ(rank.exit_code, 0) << rank.output;
  for (const char* weights : {"text_cond.safetensors", "clip_text.safetensors"}) {
    EXPECT_LT(max_difference(path("single") + "/" + weights, path("ranked") + "/" + weights), kWeightTolerance)
        << weights;
  }
}

// A rank killed outright: the other stops within the timeout, saying what happened and what to do;
// the job started again with --resume ends exactly where an uninterrupted job does.
TEST_F(DataParallelTraining, AKilledRankStopsTheOtherAndTheJobResumesExactly) {
  const std::string train = cli() + kTinyEncoder + " --batch 2 --steps 200 --checkpoint-every 4 --dist-timeout 20";
  const auto straight = run_ranks(train + " --out " + path("straight"), 2, "straight");
  for (const auto& rank : straight) ASSERT_EQ(rank.exit_code, 0) << rank.output;

  // Rank 1 is killed once rank 0 has written a checkpoint; rank 0's exit code and seconds until it stops.
  const int port = free_port();
  const std::string latest = shell_quoted(path("killed/checkpoints/latest"));
  const std::string script =
      "(" + rank_environment(0, 2, port) + " " + train + " --out " + path("killed") + " > " +
      shell_quoted(path("rank0.out")) + " 2>&1) & rank0=$!\n" + rank_environment(1, 2, port) + " " + train +
      " --out " + path("killed") + " > /dev/null 2>&1 & rank1=$!\n" +
      "for i in $(seq 600); do [ -f " + latest + " ] && break; sleep 0.05; done\n"
      "kill -KILL $rank1; start=$(date +%s%N); wait $rank0; code=$?\n"
      "echo rank0_exit=$code milliseconds=$((($(date +%s%N) - start) / 1000000))\n";
  std::ofstream(path("kill.sh")) << script;
  const auto killed = run_shell("bash " + shell_quoted(path("kill.sh")));
  ASSERT_NE(killed.output.find("rank0_exit="), std::string::npos) << killed.output;
  EXPECT_EQ(killed.output.find("rank0_exit=0"), std::string::npos) << killed.output;
  const double milliseconds = std::stod(killed.output.substr(killed.output.find("milliseconds=") + 13));
  EXPECT_LT(milliseconds, 20000.0) << killed.output;
  const std::string message = read_text(path("rank0.out"));
  for (const std::string& expected : {"rank 0/2: averaging", "failed", "--resume"}) {
    EXPECT_NE(message.find(expected), std::string::npos) << expected << "\n" << message;
  }
  EXPECT_FALSE(fs::exists(path("killed/transmitter.safetensors")));

  const auto resumed = run_ranks(train + " --out " + path("killed") + " --resume", 2, "resumed");
  for (const auto& rank : resumed) ASSERT_EQ(rank.exit_code, 0) << rank.output;
  EXPECT_EQ(read_text(path("killed/transmitter.safetensors")), read_text(path("straight/transmitter.safetensors")));
}

// A rank that hangs (stopped, not dead) holds the others up for the timeout, not for ever.
TEST_F(DataParallelTraining, AHungRankStopsTheOtherAtTheTimeout) {
  const std::string train = cli() + kTinyEncoder + " --batch 2 --steps 100000 --checkpoint-every 4 --dist-timeout 3";
  const int port = free_port();
  const std::string script =
      "(" + rank_environment(0, 2, port) + " " + train + " --out " + path("hung") + " > " +
      shell_quoted(path("rank0.out")) + " 2>&1) & rank0=$!\n" + rank_environment(1, 2, port) + " " + train +
      " --out " + path("hung") + " > /dev/null 2>&1 & rank1=$!\n" +
      "for i in $(seq 600); do [ -f " + shell_quoted(path("hung/checkpoints/latest")) + " ] && break; sleep 0.05; done\n"
      "kill -STOP $rank1; start=$(date +%s%N); wait $rank0; code=$?\n"
      "echo rank0_exit=$code milliseconds=$((($(date +%s%N) - start) / 1000000)); kill -KILL $rank1\n";
  std::ofstream(path("hang.sh")) << script;
  const auto hung = run_shell("bash " + shell_quoted(path("hang.sh")));
  ASSERT_NE(hung.output.find("rank0_exit=1 "), std::string::npos) << hung.output;
  const double milliseconds = std::stod(hung.output.substr(hung.output.find("milliseconds=") + 13));
  EXPECT_GT(milliseconds, 2000.0) << hung.output;
  EXPECT_LT(milliseconds, 15000.0) << hung.output;
  EXPECT_NE(read_text(path("rank0.out")).find("did not answer within 3 s"), std::string::npos) << read_text(path("rank0.out"));
}

// A rank whose partners never come stops at the timeout with a message naming where it waited.
TEST_F(DataParallelTraining, ARankAloneStopsAtTheTimeout) {
  const auto alone = run_shell(rank_environment(0, 2, free_port()) + " " + cli() + kTinyEncoder +
                               " --steps 2 --batch 2 --dist-timeout 2 --out " + path("alone"));
  EXPECT_EQ(alone.exit_code, 1) << alone.output;
  EXPECT_NE(alone.output.find("rank 0/2: cannot meet the other ranks at 127.0.0.1:"), std::string::npos)
      << alone.output;
}

TEST_F(DataParallelTraining, AMalformedLaunchEnvironmentIsNamed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"RANK=2 WORLD_SIZE=2", "RANK 2 must be below WORLD_SIZE 2"},
      {"RANK=0", "RANK is set but WORLD_SIZE is not"},
      {"RANK=0 WORLD_SIZE=two", "environment variable WORLD_SIZE must be an integer"},
      {"RANK=0 WORLD_SIZE=2", "MASTER_ADDR and MASTER_PORT are not both set"},
  };
  for (const auto& [environment, expected] : cases) {
    const auto result = run_shell("env -u MASTER_ADDR -u MASTER_PORT " + environment + " " + cli() + kTinyEncoder +
                                  " --steps 1 --batch 2 --out " + path("bad"));
    EXPECT_EQ(result.exit_code, 1) << environment << "\n" << result.output;
    EXPECT_NE(result.output.find(expected), std::string::npos) << environment << "\n" << result.output;
  }
}

}  // namespace
}  // namespace shape::testing
