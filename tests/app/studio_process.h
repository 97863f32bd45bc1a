// shape-studio running in the background for tests that drive its window with xdotool: its output
// goes to a log file the test reads live (--trace lines), and the X display is read back with
// ImageMagick's `import`. Needs DISPLAY (xvfb-run), xdotool and import.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "tests/app/app_test_support.h"

extern char** environ;

namespace shape::testing {

class StudioProcess {
 public:
  // Starts `command` (a shell command line) with its output to `log`; `timeout 180` guards a hang.
  StudioProcess(const std::string& command, std::filesystem::path log) : log_(std::move(log)) {
    const std::string line = "exec timeout 180 " + command + " > " + shell_quoted(log_.string()) + " 2>&1";
    const char* argv[] = {"/bin/sh", "-c", line.c_str(), nullptr};
    if (posix_spawn(&pid_, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) pid_ = -1;
  }
  ~StudioProcess() {
    if (pid_ > 0 && exit_code_ < 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  StudioProcess(const StudioProcess&) = delete;
  StudioProcess& operator=(const StudioProcess&) = delete;

  bool started() const { return pid_ > 0; }
  std::string output() const {
    std::ifstream in(log_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  // Waits until the output holds `text` after position `from`; returns where it starts (npos on timeout).
  size_t wait_for(const std::string& text, size_t from = 0, std::chrono::seconds timeout = std::chrono::seconds(90)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string out = output();
      const size_t at = out.size() > from ? out.find(text, from) : std::string::npos;
      if (at != std::string::npos) return at;
      if (exited()) return std::string::npos;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return std::string::npos;
  }
  // Waits for the process to end; its exit code (-1 on timeout).
  int wait_exit(std::chrono::seconds timeout = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!exited() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return exit_code_;
  }

 private:
  bool exited() {
    if (exit_code_ >= 0 || pid_ <= 0) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return true;
  }

  std::filesystem::path log_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// Runs xdotool with `arguments`; true when it succeeded.
inline bool xdotool(const std::string& arguments) { return run_shell("xdotool " + arguments).exit_code == 0; }

// The whole X screen as a PNG (windows sit at 0,0 without a window manager).
inline bool screenshot_screen(const std::string& path) {
  return run_shell("import -window root " + shell_quoted(path)).exit_code == 0;
}

}  // namespace shape::testing
