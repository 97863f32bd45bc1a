#include "inference/resident_memory.h"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

namespace shape {
namespace {

// A "Name:   1234 kB" line of /proc/self/status, in bytes; -1 if absent.
int64_t status_field_bytes(const std::string& name) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.compare(0, name.size() + 1, name + ":") != 0) continue;
    std::istringstream fields(line.substr(name.size() + 1));
    int64_t kib = 0;
    if (fields >> kib) return kib * 1024;
  }
  return -1;
}

}  // namespace

int64_t current_resident_bytes() { return std::max<int64_t>(0, status_field_bytes("VmRSS")); }

int64_t peak_resident_bytes() {
  const int64_t peak = status_field_bytes("VmHWM");
  if (peak >= 0) return peak;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

bool reset_peak_resident() {
  std::ofstream clear_refs("/proc/self/clear_refs");
  clear_refs << "5";
  clear_refs.flush();
  return static_cast<bool>(clear_refs);
}

}  // namespace shape
