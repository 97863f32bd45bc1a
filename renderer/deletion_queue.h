// A stack of clean-up actions run in reverse order of registration (the vkguide pattern): create a
// Vulkan object, push its destroy call right after, and flush() tears everything down newest-first,
// so dependants always go before what they depend on.
#pragma once

#include <functional>
#include <utility>
#include <vector>

namespace shape::render {

class DeletionQueue {
 public:
  DeletionQueue() = default;
  DeletionQueue(const DeletionQueue&) = delete;
  DeletionQueue& operator=(const DeletionQueue&) = delete;
  DeletionQueue(DeletionQueue&& other) noexcept : actions_(std::move(other.actions_)) { other.actions_.clear(); }
  DeletionQueue& operator=(DeletionQueue&& other) noexcept {
    if (this != &other) {
      flush();
      actions_ = std::move(other.actions_);
      other.actions_.clear();
    }
    return *this;
  }
  ~DeletionQueue() { flush(); }

  void push(std::function<void()> action) { actions_.push_back(std::move(action)); }

  void flush() {
    while (!actions_.empty()) {
      auto action = std::move(actions_.back());
      actions_.pop_back();
      action();
    }
  }

  bool empty() const { return actions_.empty(); }

 private:
  std::vector<std::function<void()>> actions_;
};

}  // namespace shape::render
