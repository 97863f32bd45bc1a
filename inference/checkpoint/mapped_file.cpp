#include "inference/checkpoint/mapped_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <limits>

#include "inference/checkpoint/format_error.h"

namespace shape::checkpoint_detail {
namespace {

// The SIGBUS guard: which address ranges are mapped checkpoints, in fixed storage read with
// lock-free atomics, so the signal handler may look them up.
constexpr size_t kGuardSlots = 64;
constexpr size_t kGuardPathSize = 512;

struct GuardSlot {
  std::atomic<bool> taken{false};
  std::atomic<uintptr_t> begin{0};  // 0 while the slot is being filled or emptied
  std::atomic<uintptr_t> end{0};
  char path[kGuardPathSize] = {};
};

std::array<GuardSlot, kGuardSlots> guard_slots;
struct sigaction previous_sigbus_action {};
std::once_flag guard_installed;

void write_to_stderr(const char* text) {
  size_t length = std::strlen(text);
  while (length > 0) {
    const ssize_t written = ::write(STDERR_FILENO, text, length);
    if (written <= 0) return;
    text += written;
    length -= static_cast<size_t>(written);
  }
}

const GuardSlot* slot_containing(uintptr_t address) {
  for (const GuardSlot& slot : guard_slots) {
    const uintptr_t begin = slot.begin.load(std::memory_order_acquire);
    if (begin != 0 && address >= begin && address < slot.end.load(std::memory_order_acquire)) return &slot;
  }
  return nullptr;
}

// Async-signal-safe: atomics, write(2) and sigaction(2) only.
void on_sigbus(int signal, siginfo_t* info, void* context) {
  if (const GuardSlot* slot = slot_containing(reinterpret_cast<uintptr_t>(info->si_addr))) {
    write_to_stderr("\nshape-studio: the weights file '");
    write_to_stderr(slot->path);
    write_to_stderr(
        "' changed on disk while its model was loaded (truncated or rewritten in place), so part of the "
        "model is gone; stopping. Replace weight files only while no model is loaded, or write the new "
        "file elsewhere and rename it over the old one.\n");
    // Returning runs the faulting access again, now under the default action: the process ends
    // with SIGBUS.
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    sigaction(SIGBUS, &default_action, nullptr);
    return;
  }
  // Not in a checkpoint: for whatever handled SIGBUS before.
  const struct sigaction& previous = previous_sigbus_action;
  if ((previous.sa_flags & SA_SIGINFO) && previous.sa_sigaction != nullptr) {
    previous.sa_sigaction(signal, info, context);
  } else if (!(previous.sa_flags & SA_SIGINFO) && previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(signal);
  } else {
    sigaction(SIGBUS, &previous, nullptr);  // the access faults again under the default action
  }
}

void install_guard() {
  struct sigaction action {};
  action.sa_sigaction = on_sigbus;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  sigaction(SIGBUS, &action, &previous_sigbus_action);
}

// -1 when every slot is taken: that mapping then crashes on SIGBUS without the message.
int register_mapping(const uint8_t* data, uint64_t size, const std::string& path) {
  std::call_once(guard_installed, install_guard);
  for (size_t i = 0; i < guard_slots.size(); ++i) {
    GuardSlot& slot = guard_slots[i];
    bool expected = false;
    if (!slot.taken.compare_exchange_strong(expected, true)) continue;
    const size_t length = std::min(path.size(), kGuardPathSize - 1);
    std::memcpy(slot.path, path.data(), length);
    slot.path[length] = '\0';
    slot.end.store(reinterpret_cast<uintptr_t>(data) + size, std::memory_order_release);
    slot.begin.store(reinterpret_cast<uintptr_t>(data), std::memory_order_release);
    return static_cast<int>(i);
  }
  return -1;
}

void unregister_mapping(int index) {
  if (index < 0) return;
  GuardSlot& slot = guard_slots[static_cast<size_t>(index)];
  slot.begin.store(0, std::memory_order_release);
  slot.end.store(0, std::memory_order_release);
  slot.taken.store(false, std::memory_order_release);
}

uint64_t page_size() {
  static const auto size = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return size;
}

}  // namespace

std::shared_ptr<MappedFile> MappedFile::open(const std::filesystem::path& path) {
  const uint64_t size = regular_file_size(path);
  if (size == 0) return std::shared_ptr<MappedFile>(new MappedFile(path, 0, nullptr));
  if (size > std::numeric_limits<size_t>::max()) return nullptr;
  const int descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) throw FormatError("cannot open the file for reading: " + std::string(std::strerror(errno)));
  // Writable but private: writes go to this process's copy of a page, never to the file.
  void* data = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ | PROT_WRITE, MAP_PRIVATE, descriptor, 0);
  ::close(descriptor);  // the mapping keeps the file
  if (data == MAP_FAILED) return nullptr;
  return std::shared_ptr<MappedFile>(new MappedFile(path, size, static_cast<const uint8_t*>(data)));
}

MappedFile::MappedFile(const std::filesystem::path& path, uint64_t size, const uint8_t* data)
    : path_(path.string()), size_(size), data_(data) {
  if (data_ != nullptr) guard_slot_ = register_mapping(data_, size_, path_);
}

MappedFile::~MappedFile() {
  if (data_ == nullptr) return;
  unregister_mapping(guard_slot_);
  ::munmap(const_cast<uint8_t*>(data_), static_cast<size_t>(size_));
}

void MappedFile::read(uint64_t offset, void* destination, size_t count) const {
  check_source_range(offset, count, size_);
  if (count != 0) std::memcpy(destination, data_ + offset, count);
}

std::shared_ptr<const uint8_t> MappedFile::view(uint64_t offset, size_t count) const {
  check_source_range(offset, count, size_);
  if (count == 0) return nullptr;
  {
    const std::lock_guard<std::mutex> lock(views_mutex_);
    ++live_views_[{offset, count}];
  }
  auto self = shared_from_this();
  return std::shared_ptr<const uint8_t>(data_ + offset,
                                        [self, offset, count](const uint8_t*) { self->release(offset, count); });
}

void MappedFile::release(uint64_t offset, size_t count) const {
  {
    const std::lock_guard<std::mutex> lock(views_mutex_);
    const auto it = live_views_.find({offset, count});
    if (it == live_views_.end() || --it->second > 0) return;
    live_views_.erase(it);
  }
  // Only the pages wholly inside the range: its first and last may hold a neighbour's bytes.
  const uint64_t page = page_size();
  const uint64_t first = (offset + page - 1) / page * page;
  const uint64_t last = (offset + count) / page * page;
  if (last > first) ::madvise(const_cast<uint8_t*>(data_) + first, static_cast<size_t>(last - first), MADV_DONTNEED);
}

std::shared_ptr<const ByteSource> open_file_source(const std::filesystem::path& path) {
  if (auto mapped = MappedFile::open(path)) return mapped;
  return std::make_shared<FileByteSource>(path);
}

}  // namespace shape::checkpoint_detail
