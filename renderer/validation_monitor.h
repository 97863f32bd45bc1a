// Collects what the Khronos validation layer reports through VK_EXT_debug_utils. Tests share one
// monitor with a VulkanContext and assert it stayed empty after the context is destroyed, so the
// leak reports emitted by vkDestroyDevice/vkDestroyInstance are counted too.
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace shape::render {

enum class ValidationSeverity { Verbose, Info, Warning, Error };

struct ValidationMessage {
  ValidationSeverity severity = ValidationSeverity::Error;
  std::string id;    // e.g. "VUID-vkCmdDraw-None-02859"
  std::string text;
};

class ValidationMonitor {
 public:
  using Listener = std::function<void(const ValidationMessage&)>;

  // With no listener, messages are printed to stderr.
  explicit ValidationMonitor(Listener listener = {});

  // Called from the debug messenger (any thread the driver uses).
  void report(ValidationMessage message);

  std::size_t message_count() const;
  std::vector<ValidationMessage> messages() const;
  // All messages, one per line, for test failure output.
  std::string summary() const;
  void clear();

 private:
  mutable std::mutex mutex_;
  std::vector<ValidationMessage> messages_;
  Listener listener_;
};

}  // namespace shape::render
