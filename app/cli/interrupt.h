// Ctrl-C for long commands: while a CancelOnInterrupt lives, the first SIGINT only sets the flag
// (the sampler, download or training loop stops at its next step); a second one kills as usual.
#pragma once

#include <atomic>
#include <csignal>

namespace shape::cli {

// The flag the first Ctrl-C sets.
std::atomic<bool>& interrupt_flag();

class CancelOnInterrupt {
 public:
  CancelOnInterrupt();
  ~CancelOnInterrupt();
  CancelOnInterrupt(const CancelOnInterrupt&) = delete;
  CancelOnInterrupt& operator=(const CancelOnInterrupt&) = delete;

 private:
  struct sigaction previous_ {};
};

}  // namespace shape::cli
