// The watchdog's two messages, written to a given descriptor (stderr in
// watchdog_report_stuck / watchdog_report_completed; a pipe in unit tests).
//
// A stuck report, written by the stuck waiter itself:
//   barrier-shim: watchdog: pid P tid T: waiting 0.2s at barrier 0x...
//       (count 3, arrived 2, round 0, private)            [one line]
//   barrier-shim: watchdog: backtrace of tid T:
//     (5 frames inside barrier-shim left out)
//     #5 0x000055d0c0de1234 wait_for_missing_participant+0x1a
//     ...
//   barrier-shim: watchdog: end of report for tid T
// and when that round completes, from the same waiter:
//   barrier-shim: watchdog: pid P: barrier 0x... round 0 completed after 1.0s
// The report runs on the stuck waiter's own stack and writes only what fits
// in the room left there (stack_room.h):
//   - the whole report, as above;
//   - without the backtrace, in its place the line
//       "  (backtrace omitted: N bytes of stack left, M needed)";
//   - only "barrier-shim: watchdog: pid P tid T: stuck at barrier 0x...,
//       no report: N bytes of stack left";
//   - nothing.
// The completion line is left out when it would not fit.
#pragma once

#include <cstddef>

#include "contract/diagnostic_hooks.h"
#include "diagnostics/stack_room.h"

namespace bshim {

// The stack each kind of message needs, counted from the caller of
// watchdog_write_stuck_report (or watchdog_write_completed_line), with a
// margin of about a quarter over the deepest use measured by
// tests/diagnostics/measure_report_stack.cc, which checks them.
inline constexpr size_t kWatchdogFullReportStack = 10 * 1024;
inline constexpr size_t kWatchdogShortReportStack = 1024;
inline constexpr size_t kWatchdogMinimalLineStack = 512;
inline constexpr size_t kWatchdogCompletedLineStack = 768;

// The report in as much of it as fits the room left on this stack.
void watchdog_write_stuck_report(int fd, const StuckWait& wait);
// The same for a given room: what watchdog_write_stuck_report writes once
// it has measured it (for tests).
void watchdog_write_stuck_report_in(int fd, const StuckWait& wait, StackRoom room);
void watchdog_write_completed_line(int fd, const StuckWait& wait);

}  // namespace bshim
