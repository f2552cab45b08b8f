// The watchdog's side of a sleeping waiter: when to wake up to look, and
// whether to report (contract/diagnostic_hooks.h). Costs nothing when the watchdog is off:
// active() is false and the sleeper sleeps without a deadline of its own.
#pragma once

#include <ctime>

#include "barrier/arrival_tree.h"
#include "barrier/barrier_object_access.h"
#include "contract/diagnostic_hooks.h"
#include "os/futex.h"
#include "barrier/wait_paths.h"

namespace bshim {

class StuckWaitWatch {
 public:
  // `arrival_word`: where the barrier's arrivals are counted (the object's
  // state word, or the wake slot's arrival word).
  // `tree_slot`: the wake slot whose arrival tree counts the arrivals, or -1.
  StuckWaitWatch(const WaitRecord& record, const BarrierConstants& constants, uint32_t round,
                 const void* arrival_word, int tree_slot = -1)
      : threshold_ns_(diagnostics_config().watchdog_ns),
        wait_{record.barrier, arrival_word, -1, constants.count, round,
              (constants.flags & kFlagProcessShared) != 0, 0},
        entered_ns_(record.entered_ns),
        tree_slot_(tree_slot) {}

  bool active() const { return threshold_ns_ != 0; }

  // How long the sleeper may sleep before it should call on_wake_up(): the
  // time left to the threshold, then the threshold again (a stuck round is
  // reported once; later looks only keep `waited` current).
  uint64_t next_sleep_ns() const {
    const uint64_t waited = monotonic_ns() - entered_ns_;
    return waited < threshold_ns_ ? threshold_ns_ - waited : threshold_ns_;
  }

  // After any wake-up of a sleeper whose round is still open.
  void on_wake_up() {
    if (!active() || reported_) return;
    wait_.waited_ns = monotonic_ns() - entered_ns_;
    if (wait_.waited_ns < threshold_ns_) return;
    if (tree_slot_ >= 0) wait_.tree_arrivals = tree_arrivals_in_round(tree_slot_, wait_.round);
    reported_ = watchdog_report_stuck(wait_);
  }

  // Once the round is over (completed or broken).
  void on_round_over() {
    if (!reported_) return;
    wait_.waited_ns = monotonic_ns() - entered_ns_;
    watchdog_report_completed(wait_);
  }

 private:
  const uint64_t threshold_ns_;
  StuckWait wait_;
  const uint64_t entered_ns_;
  const int tree_slot_;
  bool reported_ = false;
};

}  // namespace bshim
