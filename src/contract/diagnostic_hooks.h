// Diagnostics on demand: per-barrier statistics (BARRIER_SHIM_STATS), the
// hang watchdog (BARRIER_SHIM_WATCHDOG) and the imbalance profile
// (BARRIER_SHIM_PROFILE). The wait paths call the hooks below;
// everything behind them lives in wait_stats.cc and watchdog.cc.
//
// Contract for the callers (the wait paths):
//  - With both features off (the default), a wait pays one predictable branch
//    on a constant-after-load global: diagnostics_config().stats and
//    diagnostics_config().watchdog_ns are read, nothing else.
//  - Every hook is async-signal-safe, never allocates and never fails: a hook
//    that cannot do its job (table full, write error) drops the record.
#pragma once

#include <cstdint>

#include "os/monotonic_clock.h"

namespace bshim {

struct DiagnosticsConfig {
  bool stats = false;          // BARRIER_SHIM_STATS set (1 or a path)
  uint64_t watchdog_ns = 0;    // BARRIER_SHIM_WATCHDOG in ns; 0 = off
  bool profile = false;        // BARRIER_SHIM_PROFILE set (1 or a path prefix)
  bool init_sites = false;     // stats or watchdog: init records where it was called
  bool any = false;            // any of them: the wait's one check
};

// Any diagnostic on: the wait takes the timed path. One load, one branch.
inline bool any_diagnostic(const DiagnosticsConfig& config) { return config.any; }

// Constant after configure_diagnostics(); all-off before it. Inline, so that
// the wait's check is one load of a global, not a call.
extern DiagnosticsConfig g_diagnostics_config;
inline const DiagnosticsConfig& diagnostics_config() { return g_diagnostics_config; }

// Reads BARRIER_SHIM_STATS and BARRIER_SHIM_WATCHDOG. Called once from the
// preload constructor; not async-signal-safe (getenv).
void configure_diagnostics();

// How one call of pthread_barrier_wait ended.
enum class WaitOutcome : uint8_t {
  kCompletedRound,  // the last arriver: it released the round
  kSpun,            // released while this waiter spun
  kYielded,         // released while it yielded
  kSlept,           // released after at least one futex sleep
  kBroken,          // robust mode: returned EOWNERDEAD
};

// Statistics (only when diagnostics_config().stats). `waited_ns` is the time
// from entry to return of the wait.
void stats_record_wait(const void* barrier, bool process_shared, WaitOutcome outcome,
                       uint64_t waited_ns);
// One wrapped unmap call (munmap, mmap MAP_FIXED, mremap, shmdt, destroy's
// wait): whether it had to wait for exit windows, and for how long.
void stats_record_unmap(bool had_to_wait, uint64_t waited_ns);
// Writes the table (stderr, or the path given in BARRIER_SHIM_STATS). Called
// once at exit.
void stats_write_report();
// Where a barrier was initialised (only when diagnostics_config().init_sites),
// for the statistics and the watchdog to name it: `call_site` is the return
// address in the caller of pthread_barrier_init, `count` its count. Called
// by a successful init; not async-signal-safe (it asks the loader which
// object the call site lies in), like pthread_barrier_init itself.
void stats_record_init(const void* barrier, const void* call_site, unsigned count);

// The imbalance profile (only when diagnostics_config().profile): one record
// per wait, kept in memory mapped at load time (diagnostics/profile.h).
struct ProfiledWait {
  const void* barrier;     // the caller's pthread_barrier_t*
  const void* call_site;   // the return address of pthread_barrier_wait
  uint32_t generation;     // the barrier's identity at this address
  uint32_t round;
  uint32_t arrival;        // 1 = the first to arrive in the round; count = the last
  uint32_t count;
  bool process_shared;
  WaitOutcome outcome;
  uint64_t entered_ns;     // CLOCK_MONOTONIC, on entry
  uint64_t returned_ns;    // and on return
};
void profile_record_wait(const ProfiledWait& wait);
// Writes the summary and the timeline. Called once at exit.
void profile_write_report();

// The watchdog (only when diagnostics_config().watchdog_ns != 0). A sleeper
// sleeps with a deadline; once it has waited longer than watchdog_ns it calls
// watchdog_report_stuck() from its own thread (so the backtrace is its own)
// each time a timed sleep expires. The first waiter to report a given round
// of a given barrier writes the report; later calls for that round write
// nothing and return false. When the round then completes, a waiter whose
// call returned true calls watchdog_report_completed() once.
struct StuckWait {
  const void* barrier;     // the caller's pthread_barrier_t*
  // Where its arrivals are counted: the barrier's state word, or its wake
  // slot's arrival word (barrier/wake_slots.h); the same layout.
  const void* arrival_word;
  // The arrivals so far when the barrier counts them elsewhere (an arrival
  // tree's leaves: the word above then holds only its full leaves); -1: read
  // them from the arrival word.
  int64_t tree_arrivals;
  uint32_t count;
  uint32_t round;
  bool process_shared;
  uint64_t waited_ns;      // since this thread entered pthread_barrier_wait
};
bool watchdog_report_stuck(const StuckWait& wait);
void watchdog_report_completed(const StuckWait& wait);


}  // namespace bshim
