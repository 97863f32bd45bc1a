// shape-studio running in the background for tests that drive its window with xdotool: its output
// goes to a log file the test reads live (--trace lines), and the X display is read back with
// ImageMagick's `import`. Needs Xvfb, xdotool and import.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "tests/app/app_test_support.h"

extern char** environ;

namespace shape::testing {

// An X server of this test's own, made DISPLAY for this process and its children while it lives.
// ctest runs tests in parallel on one xvfb-run display, where another test's window could lie
// under xdotool's pointer and take its clicks and keys.
class PrivateDisplay {
 public:
  PrivateDisplay() {
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    const char* argv[] = {"Xvfb", "-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp", nullptr};
    if (posix_spawnp(&pid_, "Xvfb", &actions, nullptr, const_cast<char**>(argv), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    // Xvfb writes its display number once it accepts connections.
    std::string number;
    pollfd ready{pipe_fds[0], POLLIN, 0};
    char c = 0;
    while (pid_ > 0 && ::poll(&ready, 1, 10000) == 1 && ::read(pipe_fds[0], &c, 1) == 1 && c != '\n') number += c;
    ::close(pipe_fds[0]);
    if (number.empty()) return;
    if (const char* previous = std::getenv("DISPLAY")) previous_ = previous;
    ::setenv("DISPLAY", (":" + number).c_str(), 1);
    display_ = ":" + number;
  }
  ~PrivateDisplay() {
    if (!display_.empty()) {
      if (previous_.empty()) ::unsetenv("DISPLAY");
      else ::setenv("DISPLAY", previous_.c_str(), 1);
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  PrivateDisplay(const PrivateDisplay&) = delete;
  PrivateDisplay& operator=(const PrivateDisplay&) = delete;

  bool started() const { return !display_.empty(); }
  const std::string& name() const { return display_; }

 private:
  pid_t pid_ = -1;
  std::string display_, previous_;
};

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
