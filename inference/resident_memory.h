// The process's resident memory (Linux /proc/self/status), for load and speed benchmarks.
// Torch-free header.
#pragma once

#include <cstdint>

namespace shape {

// VmRSS: resident now (anonymous, file-backed and shared pages), in bytes; 0 where unknown.
int64_t current_resident_bytes();
// VmHWM: the most that was resident since the process started or the last reset, in bytes; falls
// back to getrusage's ru_maxrss where /proc is missing.
int64_t peak_resident_bytes();
// Resets the peak to the current resident size (writes 5 to /proc/self/clear_refs, Linux >= 4.0),
// so a later peak_resident_bytes() covers only what ran in between. False if the kernel refused.
bool reset_peak_resident();

}  // namespace shape
