#include "cli/interrupt.h"

namespace shape::cli {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void request_cancel(int) { g_interrupted.store(true); }

}  // namespace

std::atomic<bool>& interrupt_flag() { return g_interrupted; }

CancelOnInterrupt::CancelOnInterrupt() {
  g_interrupted = false;
  struct sigaction action {};
  action.sa_handler = request_cancel;
  action.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &action, &previous_);
}

CancelOnInterrupt::~CancelOnInterrupt() { sigaction(SIGINT, &previous_, nullptr); }

}  // namespace shape::cli
