// The private wait path: how a waiter that is not its round's last arriver
// spins, yields and sleeps on the wake slot (the arrival and the completion
// are inlined into the wait: barrier/wait_on_wake_slot.h, which says why a
// waiter never needs the object after its arrival).
#include <sched.h>

#include "barrier/wait_on_wake_slot.h"
#include "barrier/arrive.h"
#include "os/cpu_relax.h"
#include "os/futex.h"
#include "barrier/stuck_wait_watch.h"
#include "barrier/wait_policy.h"

namespace bshim {
namespace {

using wake_slot_detail::futex_word_of;

// True once round `round` is complete. acquire: the completer's release
// advance carries every participant's writes before the barrier.
bool round_complete(const WakeSlot& slot, uint32_t round, uint32_t* open_round,
                    std::memory_order order = std::memory_order_acquire) {
  *open_round = slot.open_round.load(order);
  return round_is_after(*open_round, round);
}

// Spins within the slot's adaptive budget. Returns true if the round
// completed meanwhile; either way, adjusts the budget for the next round and
// stores it in *next_budget, and the budget it spun in *spun_budget.
bool spin_for_completion(WakeSlot& slot, uint32_t round, uint32_t* next_budget,
                         uint32_t* spun_budget) {
  const WaitPolicy& policy = wait_policy();
  // relaxed: a tuning hint; any recent value serves.
  const uint32_t stored = slot.spin_budget.load(std::memory_order_relaxed);
  const uint32_t budget = stored != 0 ? stored : policy.initial_spin_iterations;
  *spun_budget = budget;
  uint32_t open_round;
  uint32_t spun = 0;
  bool completed = false;
  for (; spun < budget; ++spun) {
    if (round_complete(slot, round, &open_round)) {
      completed = true;
      break;
    }
    cpu_relax();
  }
  const uint32_t next = next_spin_budget(budget, spun, completed);
  if (next != stored) slot.spin_budget.store(next, std::memory_order_relaxed);
  *next_budget = next;
  return completed;
}

void store_yield_budget(WakeSlot& slot, uint32_t stored, uint32_t budget) {
  // Written only on change, like the spin budget.
  if (budget + 1 != stored) slot.yield_budget.store(budget + 1, std::memory_order_relaxed);
}

// Sleeps until the slot's open round passes `round`. Without the watchdog, a
// plain FUTEX_WAIT; with it, timed waits so that the sleeper itself can
// report a stuck round (contract/diagnostic_hooks.h).
void sleep_until_complete(WakeSlot& slot, uint32_t round, StuckWaitWatch& watch) {
  uint32_t open_round;
  // seq_cst increment, then seq_cst load: pairs with the completer's seq_cst
  // advance-then-load of `sleepers` (Dekker), so either we see the advance or
  // the completer sees us and wakes the slot.
  slot.sleepers.fetch_add(1, std::memory_order_seq_cst);
  while (!round_complete(slot, round, &open_round, std::memory_order_seq_cst)) {
    // Sleeps only while the slot still holds `open_round`. 0 (woken), EAGAIN
    // (it changed) and EINTR (a handler ran) all just re-check: no EINTR ever
    // reaches the caller. The slot is never unmapped, so no EFAULT.
    if (!watch.active()) {
      futex_wait(futex_word_of(slot), open_round, FutexScope::kPrivate);
      continue;
    }
    // The completer's FUTEX_WAKE matches any bitset. ETIMEDOUT: time to look.
    if (futex_wait_bitset_until(futex_word_of(slot), open_round, FUTEX_BITSET_MATCH_ANY,
                                FutexScope::kPrivate,
                                deadline_after(watch.next_sleep_ns())) == ETIMEDOUT) {
      watch.on_wake_up();
    }
  }
  // relaxed: only gates whether a completer issues a wake syscall.
  slot.sleepers.fetch_sub(1, std::memory_order_relaxed);
  watch.on_round_over();
}

// The slot's record of slow rounds (wait_policy.h). relaxed, like the
// budgets: a stale record skips or spins one round more.
SlowRounds slow_rounds_of(const WakeSlot& slot) {
  return {slot.slow_last.load(std::memory_order_relaxed),
          slot.slow_in_a_row.load(std::memory_order_relaxed)};
}

void store_slow_rounds(WakeSlot& slot, const SlowRounds& before, const SlowRounds& now) {
  if (now.last != before.last) slot.slow_last.store(now.last, std::memory_order_relaxed);
  if (now.in_a_row != before.in_a_row) {
    slot.slow_in_a_row.store(now.in_a_row, std::memory_order_relaxed);
  }
}

// After round `round` completed `waited_ns` after this waiter's spin of
// `spun_budget` failed (or was skipped), which left the budget `halved`;
// unless this thread slept in the round before (wait_policy.h, LastSleep).
void store_budget_after_late_round(WakeSlot& slot, uint32_t round, uint32_t halved,
                                   uint32_t spun_budget, uint64_t waited_ns) {
  if (slept_in_round_before(&slot, round)) return;
  const uint32_t budget = spin_budget_after_late_round(halved, spun_budget, waited_ns);
  // relaxed, and only on change, like the spin's own store.
  if (budget != halved) slot.spin_budget.store(budget, std::memory_order_relaxed);
}

// Spins, yields, then sleeps until `round` is complete; says which phase saw it.
WaitOutcome wait_for_completion(WakeSlot& slot, uint32_t round, bool may_spin,
                                StuckWaitWatch& watch) {
  const WaitPolicy& policy = wait_policy();
  uint32_t open_round;
  uint32_t next_budget = 0;
  uint32_t spun_budget = 0;  // stays 0 if the spin is skipped
  const SlowRounds slow = may_spin ? slow_rounds_of(slot) : SlowRounds{kNeverRound, 0};
  const bool skip_spin = may_spin && skips_spin(slow, round);
  if (skip_spin) {
    // The budget is at its minimum (a slow round ends only so): no yields.
    next_budget = policy.min_spin_iterations;
  } else if (may_spin) {
    if (spin_for_completion(slot, round, &next_budget, &spun_budget)) {
      if (slow.in_a_row != 0) store_slow_rounds(slot, slow, after_completed_spin(slow));
      return WaitOutcome::kSpun;
    }
  }
  // From here the round is late for the spin: how late it completes sets the
  // budget (wait_policy.h, late rounds) and, at the minimum budget, the
  // record of slow rounds.
  const uint64_t gave_up_ns = may_spin ? monotonic_ns() : 0;
  // relaxed (yield budget): a tuning hint, stored as budget + 1 so 0 means
  // "not adjusted yet".
  const uint32_t stored_yields = slot.yield_budget.load(std::memory_order_relaxed);
  const uint32_t yield_budget =
      stored_yields != 0 ? stored_yields - 1 : policy.yield_iterations;
  const uint32_t yields = yields_before_sleeping(may_spin, next_budget, yield_budget);
  const bool realtime = yields != 0 && calling_thread_is_realtime();
  const uint32_t tries = yields_to_try(yields);
  // A check before each yield and one after the last (wait_policy.h,
  // next_yield_budget: the probe yield).
  for (uint32_t i = 0; tries != 0; ++i) {
    if (round_complete(slot, round, &open_round)) {
      store_yield_budget(slot, stored_yields, next_yield_budget(yield_budget, true));
      if (may_spin) {
        store_budget_after_late_round(slot, round, next_budget, spun_budget,
                                      monotonic_ns() - gave_up_ns);
      }
      return WaitOutcome::kYielded;
    }
    if (i == tries || !yield_may_help(realtime)) break;
  }
  if (tries != 0) store_yield_budget(slot, stored_yields, next_yield_budget(yield_budget, false));
  sleep_until_complete(slot, round, watch);
  if (may_spin) {
    // At the minimum budget nobody yields: this is the sleep's length.
    const uint64_t waited_ns = monotonic_ns() - gave_up_ns;
    store_budget_after_late_round(slot, round, next_budget, spun_budget, waited_ns);
    if (times_its_sleep(next_budget, skip_spin)) {
      store_slow_rounds(slot, slow, after_timed_sleep(slow, round, waited_ns));
    }
  }
  t_last_sleep = {&slot, round};
  return WaitOutcome::kSlept;
}

}  // namespace

uint64_t wait_for_slot_reset(WakeSlot& slot, uint64_t before) {
  // The high half of the arrival word (the round), as the object's futex
  // word is of its state word; nobody wakes it: the nap only ends early if
  // the reset changed it.
  const uint32_t* round_word = reinterpret_cast<const uint32_t*>(&slot.arrivals) + 1;
  for (int polls = 0;; ++polls) {
    // acquire: the reset comes before the release that we then take part in.
    const uint64_t now = slot.arrivals.load(std::memory_order_acquire);
    if (round_of(now) != round_of(before)) return now;
    // The reset is a few instructions after the last arrival: spin first,
    // then nap, so that a waiter of higher real-time priority on the
    // completer's CPU lets it run (arrive.h: kFullRoundSpins).
    if (polls < kFullRoundSpins) {
      cpu_relax();
      continue;
    }
    // A raw system call: no cancellation point, no errno change; EINTR and
    // the deadline just poll again.
    futex_wait_bitset_until(round_word, static_cast<uint32_t>(now >> 32), FUTEX_BITSET_MATCH_ANY,
                            FutexScope::kPrivate, deadline_after(kFullRoundNapNs));
  }
}

WaitOutcome wait_for_round_on_slot(WakeSlot& slot, const BarrierConstants& constants,
                                   uint32_t round, const WaitRecord& record) {
  const int index = wake_slot_index(constants.flags);
  StuckWaitWatch watch(record, constants, round, &slot.arrivals,
                       has_arrival_tree(index) ? index : -1);
  return wait_for_completion(slot, round, (constants.flags & kFlagSpin) != 0, watch);
}

}  // namespace bshim
