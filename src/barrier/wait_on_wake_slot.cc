// The private wait path.
//
// Why a waiter never needs the object after its arrival: its arrival's
// fetch_add returns its round r. The slot belongs to this barrier alone
// (wake_slots.h) and holds the barrier's open round as of its latest
// completion, advanced only forward; the completer of round r advances it to
// r+1 after resetting the state word, and only then. So "open_round is after r"
// means round r is complete, whatever other rounds' completers do meanwhile,
// and the waiter watches only the slot. The completer writes the object only
// before it advances the slot, and nobody returns before that, so the object
// is dead to this round the instant the slot moves.
#include <sched.h>

#include "barrier/arrive.h"
#include "os/cpu_relax.h"
#include "os/futex.h"
#include "barrier/stuck_wait_watch.h"
#include "barrier/wait_paths.h"
#include "barrier/wait_policy.h"

namespace bshim {
namespace {

const uint32_t* futex_word_of(const WakeSlot& slot) {
  return reinterpret_cast<const uint32_t*>(&slot.open_round);
}

// True once round `round` is complete. acquire: the completer's release
// advance carries every participant's writes before the barrier.
bool round_complete(const WakeSlot& slot, uint32_t round, uint32_t* open_round,
                    std::memory_order order = std::memory_order_acquire) {
  *open_round = slot.open_round.load(order);
  return round_is_after(*open_round, round);
}

// Spins within the slot's adaptive budget. Returns true if the round
// completed meanwhile; either way, adjusts the budget for the next round and
// stores it in *next_budget.
bool spin_for_completion(WakeSlot& slot, uint32_t round, uint32_t* next_budget) {
  const WaitPolicy& policy = wait_policy();
  // relaxed: a tuning hint; any recent value serves.
  const uint32_t stored = slot.spin_budget.load(std::memory_order_relaxed);
  const uint32_t budget = stored != 0 ? stored : policy.initial_spin_iterations;
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

// Spins, yields, then sleeps until `round` is complete; says which phase saw it.
WaitOutcome wait_for_completion(WakeSlot& slot, uint32_t round, bool may_spin,
                                StuckWaitWatch& watch) {
  const WaitPolicy& policy = wait_policy();
  uint32_t open_round;
  uint32_t next_budget = 0;
  if (may_spin && spin_for_completion(slot, round, &next_budget)) return WaitOutcome::kSpun;
  // relaxed (yield budget): a tuning hint, stored as budget + 1 so 0 means
  // "not adjusted yet".
  const uint32_t stored_yields = slot.yield_budget.load(std::memory_order_relaxed);
  const uint32_t yield_budget =
      stored_yields != 0 ? stored_yields - 1 : policy.yield_iterations;
  const uint32_t yields = yields_before_sleeping(may_spin, next_budget, yield_budget);
  const bool realtime = yields != 0 && calling_thread_is_realtime();
  const uint32_t tries = yields_to_try(yields, realtime);
  for (uint32_t i = 0; i < tries; ++i) {
    if (round_complete(slot, round, &open_round)) {
      store_yield_budget(slot, stored_yields, next_yield_budget(yield_budget, true));
      return WaitOutcome::kYielded;
    }
    if (!yield_may_help(realtime)) break;
  }
  if (tries != 0) store_yield_budget(slot, stored_yields, next_yield_budget(yield_budget, false));
  sleep_until_complete(slot, round, watch);
  return WaitOutcome::kSlept;
}

// Moves the slot's open round forward to `next`, never back: a completer that
// was preempted after its reset must not undo a later round's advance.
void advance_open_round(WakeSlot& slot, uint32_t next) {
  uint32_t current = slot.open_round.load(std::memory_order_relaxed);
  // seq_cst: release for the waiters (see above), and ordered before the
  // completer's load of `sleepers` (Dekker with wait_for_completion).
  while (round_is_after(next, current) &&
         !slot.open_round.compare_exchange_weak(current, next, std::memory_order_seq_cst,
                                                std::memory_order_relaxed)) {
  }
}

}  // namespace

int wait_on_wake_slot(BarrierObject* object, const BarrierConstants& constants,
                      WakeSlot& slot, WaitRecord* record) {
  const uint64_t before = arrive(object, constants);
  const uint32_t round = round_of(before);
  record->tracked->arrived_in(round);
  record->round = round;
  record->arrival = arrivals_of(before) + 1;
  if (arrivals_of(before) + 1 != constants.count) {
    StuckWaitWatch watch(*record, constants, round);
    record->outcome =
        wait_for_completion(slot, round, (constants.flags & kFlagSpin) != 0, watch);
    return 0;
  }
  // Last arriver. Reset the arrivals for the next round; relaxed, because the
  // next round's arrivers come after seeing the advance below (release).
  const uint32_t next = next_round(round);
  object->state.store(state_for_round(next), std::memory_order_relaxed);
  // The round is released here. From now on this thread touches only the slot.
  advance_open_round(slot, next);
  if (slot.sleepers.load(std::memory_order_seq_cst) != 0) {
    futex_wake_all(futex_word_of(slot), FutexScope::kPrivate);
  }
  record->outcome = WaitOutcome::kCompletedRound;
  return PTHREAD_BARRIER_SERIAL_THREAD;
}

}  // namespace bshim
