// What diagnostics.cc provides besides the public contract (contract/diagnostic_hooks.h):
// to the statistics report, to the preload layer's fork hook, and to tests.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bshim {

// Parses a number of seconds with an optional fraction ("2", "0.5", "1.25")
// into nanoseconds; digits beyond the ninth decimal are ignored. False for
// anything else (empty, a sign, trailing characters, more than 10^9 s), and
// then *nanoseconds is unchanged.
bool parse_seconds_as_ns(const char* text, uint64_t* nanoseconds);

// Where the statistics report goes: the path given in BARRIER_SHIM_STATS
// (made absolute at load; %p and %% not yet replaced), or nullptr for
// stderr. Constant after configure_diagnostics().
const char* stats_report_path();

// `pattern` with every %p replaced by this process's pid and %% by %, into
// path[0 .. size). False if it did not fit.
bool expand_stats_path(const char* pattern, char* path, size_t size);

// Keeps a copy of the descriptor of stderr for the report at exit, which
// then writes to it only if it still refers to the same file (stats_report.cc).
// Load time, with stats on.
void stats_keep_stderr();
// In the child of fork: closes the inherited copy of the parent's stderr.
void stats_forget_stderr_copy_in_child();

// The child of fork() starts with empty statistics and no watchdog claims:
// its report covers its own waits only (the parent reports its own), and its
// waiters report a stuck round even if the parent already did. Called from
// the preload layer's pthread_atfork child hook, single-threaded.
void reset_diagnostics_in_child_after_fork();

}  // namespace bshim
