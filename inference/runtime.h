// Process-wide LibTorch settings. Torch-free header: the GUI and CLI include it.
#pragma once

#include <string>

namespace shape {

// Uses every hardware thread for intra-op parallelism (Debian's LibTorch defaults to one), shared
// evenly by the `processes_on_host` processes of a multi-process job on this host (at least one each:
// more threads than cores only make the processes preempt each other), or OMP_NUM_THREADS of them
// when that is set (a long job sharing the machine).
void configure_torch_threads(int processes_on_host = 1);

// Keeps freed memory in the process for the next allocation (glibc malloc: no mmap for large
// blocks, no trimming). A transformer forward allocates and frees gigabytes in blocks above glibc's
// mmap threshold; mapped afresh each time, every page faults in again: a fifth of a bf16 forward
// went to the kernel (2-core EPYC: 5.87 -> 4.46 s per forward; bench/README.md). The cost: what a
// job freed stays with the process for the next one (a text -> GLB run peaks 5% higher; the bench,
// which builds every model in turn, 25%). Call first thing in main().
void configure_memory_reuse();

// One line naming the LibTorch version, thread count and whether CUDA is usable.
std::string torch_runtime_summary();

}  // namespace shape
