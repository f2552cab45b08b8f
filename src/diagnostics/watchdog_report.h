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
#pragma once

#include "contract/diagnostic_hooks.h"

namespace bshim {

void watchdog_write_stuck_report(int fd, const StuckWait& wait);
void watchdog_write_completed_line(int fd, const StuckWait& wait);

}  // namespace bshim
