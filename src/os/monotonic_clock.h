// CLOCK_MONOTONIC in nanoseconds: the one clock the core reads (spin
// calibration, diagnostics). vDSO on Linux: no system call, async-signal-safe.
#pragma once

#include <time.h>

#include <cstdint>

namespace bshim {

inline uint64_t monotonic_ns() {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1'000'000'000ULL +
         static_cast<uint64_t>(now.tv_nsec);
}

}  // namespace bshim
