#include "renderer/validation_monitor.h"

#include <cstdio>

namespace shape::render {
namespace {

const char* severity_name(ValidationSeverity severity) {
  switch (severity) {
    case ValidationSeverity::Verbose: return "verbose";
    case ValidationSeverity::Info: return "info";
    case ValidationSeverity::Warning: return "warning";
    case ValidationSeverity::Error: return "error";
  }
  return "?";
}

}  // namespace

ValidationMonitor::ValidationMonitor(Listener listener) : listener_(std::move(listener)) {}

void ValidationMonitor::report(ValidationMessage message) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    messages_.push_back(message);
  }
  if (listener_) {
    listener_(message);
  } else {
    std::fprintf(stderr, "[vulkan %s] %s\n", severity_name(message.severity), message.text.c_str());
  }
}

std::size_t ValidationMonitor::message_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return messages_.size();
}

std::vector<ValidationMessage> ValidationMonitor::messages() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return messages_;
}

std::string ValidationMonitor::summary() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  for (const auto& message : messages_) {
    out += std::string("[") + severity_name(message.severity) + "] " + message.text + "\n";
  }
  return out;
}

void ValidationMonitor::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  messages_.clear();
}

}  // namespace shape::render
