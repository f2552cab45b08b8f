// The imbalance profile's memory: one record per wait, in a table mapped and
// populated at load time, so that recording allocates nothing and never
// faults a page in. Threads take the table in chunks (one atomic add per
// chunk), then fill their chunk alone. When the table is full, further
// waits are not recorded one by one; they are counted per barrier and
// thread (OverflowCounts), so the summary keeps counting them.
//
// BARRIER_SHIM_PROFILE: unset, empty or "0": off. "1": the summary on
// stderr at exit, the timeline in ./barrier-shim-profile.PID.json. Anything
// else: a path prefix: the summary in PREFIX.PID.txt (and on stderr), the
// timeline in PREFIX.PID.json. One file per process: processes that share a
// barrier each write their part, on the same clock (CLOCK_MONOTONIC), and
// scripts/barrier-profile merges them.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "contract/diagnostic_hooks.h"

namespace bshim {

// One wait, as recorded (64 bytes).
struct ProfileEvent {
  uint64_t barrier;
  uint64_t call_site;
  uint64_t entered_ns;
  uint64_t returned_ns;
  uint32_t generation;
  uint32_t round;
  uint32_t arrival;
  uint32_t count;
  int32_t tid;
  uint8_t process_shared;
  uint8_t outcome;  // WaitOutcome
  uint16_t reserved;
  uint64_t reserved2;
};
static_assert(sizeof(ProfileEvent) == 64, "a cache line per event");

// The waits of one thread on one barrier that found the table full: the
// summary keeps counting them. Written only by that thread (claimed with one
// CAS on a free entry), read at exit.
struct OverflowCounts {
  std::atomic<uint64_t> barrier;  // 0: free
  std::atomic<int32_t> tid;
  std::atomic<uint64_t> waits;
  std::atomic<uint64_t> last;         // times it arrived last
  std::atomic<uint64_t> waited_ns;    // entry to return, in total
  std::atomic<uint64_t> longest_ns;
};
inline constexpr size_t kOverflowEntries = 512;

// Reads BARRIER_SHIM_PROFILE and maps the table (from configure_diagnostics).
void configure_profile(const char* value);
// The events recorded so far, in the order their chunks were taken (a chunk
// may end in unused slots: tid 0). For the report.
const ProfileEvent* profile_events(size_t* count);
uint64_t profile_dropped_events();
// The overflow counts (kOverflowEntries entries; barrier 0: unused).
const OverflowCounts* profile_overflow_counts();
// Where the files go: the prefix, or nullptr for the defaults.
const char* profile_path_prefix();
// The child of fork starts with an empty table (its parent reports its own).
void profile_reset_in_child();

}  // namespace bshim
