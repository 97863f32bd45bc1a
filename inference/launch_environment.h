// Where this process stands in a multi-process job, from the environment that torchrun sets (and
// Slurm or mpirun wrappers set the same way): RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
// MASTER_ADDR, MASTER_PORT. With none of them set, the process is a job of one.
#pragma once

#include <string>

namespace shape {

struct LaunchEnvironment {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;        // the process's index on its host: which device it uses
  int local_world_size = 1;  // processes on this host: they share its CPU cores
  std::string master_addr;   // rank 0's host, where the rendezvous store listens
  int master_port = 0;
};

// Reads the variables above. Throws std::invalid_argument naming the variable for a value that is
// not a number, out of range, or missing beside the others (RANK without WORLD_SIZE, a rank not
// below the world size). MASTER_ADDR and MASTER_PORT are only read, not required: see
// require_rendezvous.
LaunchEnvironment read_launch_environment();

// Throws std::invalid_argument naming what is missing when a job of several processes has no
// MASTER_ADDR or MASTER_PORT (the processes that must meet do not know where).
void require_rendezvous(const LaunchEnvironment& environment);

// "rank 1/4" for progress lines and errors.
std::string describe_rank(const LaunchEnvironment& environment);

}  // namespace shape
