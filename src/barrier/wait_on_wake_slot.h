// The private wait path: barriers with a wake slot (private ones, and
// process-shared ones in private memory). A waiter reads the barrier's 32
// bytes (its constants) before it arrives, and never touches them again: it
// arrives, spins and sleeps on the slot, so the barrier's memory may be
// released by any means the instant any waiter returns.
//
// Why that is enough: an arrival is a fetch_add on the slot's arrival word,
// which returns the waiter's round r. The slot belongs to this barrier alone
// (wake_slots.h) and holds the barrier's open round as of its latest
// completion, advanced only forward; the completer of round r resets the
// arrival word to round r+1 and then advances the open round to r+1, and
// only then. So "open_round is after r" means round r is complete, whatever
// other rounds' completers do meanwhile, and the waiter watches only the
// slot. The arrival word, the open round and the sleeper count share the
// slot's one cache line: a round moves that line between the cores and no
// other (the object's line is only read, and stays shared), which halves
// the lines a round moves compared with arriving on the object. A barrier
// with many members arrives through an arrival tree instead
// (arrival_tree.h), whose leaves pass on to the arrival word only when full;
// the round, the completion and the waiting are the same.
//
// The arrival and the completion are inlined into pthread_barrier_wait (the
// call and the record's stores through a pointer cost about 20 instructions
// per wait); the waiting itself is out of line (wait_on_wake_slot.cc).
#pragma once

#include <pthread.h>

#include "barrier/arrival_tree.h"
#include "barrier/barrier_object_access.h"
#include "barrier/wait_paths.h"
#include "barrier/wait_policy.h"
#include "os/cancel_type.h"
#include "os/cpu_relax.h"
#include "os/futex.h"

namespace bshim {

// Spins, yields, then sleeps until round `round` is complete on `slot`; says
// which phase saw it. For a waiter that is not the round's last arriver.
WaitOutcome wait_for_round_on_slot(WakeSlot& slot, const BarrierConstants& constants,
                                   uint32_t round, const WaitRecord& record);

// An arrival that found its round full (more threads than `count` use the
// barrier): waits until the round `before` belongs to has been reset, and
// returns the arrival word then. Out of line: rare.
uint64_t wait_for_slot_reset(WakeSlot& slot, uint64_t before);

namespace wake_slot_detail {

inline const uint32_t* futex_word_of(const WakeSlot& slot) {
  return reinterpret_cast<const uint32_t*>(&slot.open_round);
}

// Moves the slot's open round forward to `next`, never back: a completer that
// was preempted after its reset must not undo a later round's advance.
inline void advance_open_round(WakeSlot& slot, uint32_t next) {
  uint32_t current = slot.open_round.load(std::memory_order_relaxed);
  // seq_cst: release for the waiters (they acquire-load open_round), and
  // ordered before the completer's load of `sleepers` (Dekker with the
  // sleeper's increment-then-load in wait_on_wake_slot.cc).
  while (round_is_after(next, current) &&
         !slot.open_round.compare_exchange_weak(current, next, std::memory_order_seq_cst,
                                                std::memory_order_relaxed)) {
  }
}

// Ends round `round`, whose last arrival was counted: resets the arrival
// word for the next round, releases the round, wakes the sleepers.
inline void complete_round(WakeSlot& slot, uint32_t round) {
  // relaxed: the next round's arrivers come after seeing the advance below
  // (release); an arrival discarded from this round, which polls the word
  // itself, needs none of this round's writes (it takes part in the next
  // round, whose arrivals hand it theirs), only the new round number.
  const uint32_t next = next_round(round);
  slot.arrivals.store(state_for_round(next), std::memory_order_relaxed);
  // The round is released here.
  advance_open_round(slot, next);
  // seq_cst: the other half of the Dekker pair with the sleepers' increment
  // then load (wait_on_wake_slot.cc); a sleeper counted before our advance
  // is seen here and woken.
  if (slot.sleepers.load(std::memory_order_seq_cst) != 0) {
    futex_wake_all(futex_word_of(slot), FutexScope::kPrivate);
  }
}

// A flat arrival: the arrival word just before it, and the cancellation
// type its caller must put back once it has released the round
// (PTHREAD_CANCEL_DEFERRED: nothing to put back).
struct FlatArrival {
  uint64_t before;
  int cancel_type;
};

// Counts this thread's arrival on the slot. An arrival that lands between a
// full round's last arrival and its reset (more threads than `count`) is
// discarded: it waits for the reset and arrives again, in the next round.
// Meanwhile its entry names that next round, so that init and destroy count
// it as blocked however long it takes to notice the reset (a nap,
// preemption, a signal handler): with no arrival of its own to show in the
// slot, it would otherwise look like a thread that never arrived, and
// arrive, once let go, in whatever barrier owns the slot by then.
//
// Asynchronous cancellation is deferred over the arrival, and for the last
// arrival until its caller has released the round: a cancellation acted on
// between the round's last fetch_add and its release would leave the round
// complete but unreleased, and every other member waiting for ever (found
// by review 10; the tree's arrivals and the object path's window already
// deferred it). A thread whose type is deferred pays two loads and tests
// here (12 instructions a wait, callgrind: 222 to 234, review 11). A
// discarded arrival, counted in no round, waits for the reset with its
// caller's type back (as a tree's does): deferred there, a request would
// wait for the completer and act only after the thread had arrived again,
// leaving the next round an arrival of a thread that no longer exists
// (review 11).
__attribute__((always_inline)) inline FlatArrival arrive_on_slot(WakeSlot& slot, uint32_t count,
                                                                TrackedWait* tracked) {
  for (;;) {
    uint64_t before;
    {
      AsyncCancellationDeferred no_cancellation_before_the_release;
      // acq_rel: release hands our earlier writes to the completer; acquire,
      // if we are the completer, takes every other arrival's writes (release
      // sequence).
      before = slot.arrivals.fetch_add(1, std::memory_order_acq_rel);
      if (arrivals_of(before) + 1 < count) return {before, PTHREAD_CANCEL_DEFERRED};
      if (arrivals_of(before) + 1 == count) {
        return {before, no_cancellation_before_the_release.hand_over()};
      }
    }
    tracked->arrived_in(next_round(round_of(before)));
    wait_for_slot_reset(slot, before);
  }
}

}  // namespace wake_slot_detail

// The barrier's constants were read (validated) before this; its bytes are
// not touched again.
__attribute__((always_inline)) inline int wait_on_wake_slot(const BarrierConstants& constants,
                                                           WakeSlot& slot, WaitRecord* record) {
  uint32_t round;
  uint32_t place;
  int cancel_type_after_completion = PTHREAD_CANCEL_DEFERRED;
  const int index = wake_slot_index(constants.flags);
  if (__builtin_expect(!has_arrival_tree(index), 1)) {
    const wake_slot_detail::FlatArrival arrival =
        wake_slot_detail::arrive_on_slot(slot, constants.count, record->tracked);
    round = round_of(arrival.before);
    place = arrivals_of(arrival.before) + 1;
    cancel_type_after_completion = arrival.cancel_type;
  } else {
    const TreeArrival arrival = arrive_on_tree(index, constants.count, record->tracked);
    round = arrival.round;
    place = arrival.place;
    cancel_type_after_completion = arrival.cancel_type;
  }
  record->tracked->arrived_in(round);
  record->round = round;
  record->arrival = place;
  if (place != constants.count) {
    // Phase 0 (wait_policy.h), inline: most rounds of a balanced program
    // complete here, and the waiter returns without a call. acquire: the
    // completer's release advance carries every participant's writes.
    if ((constants.flags & kFlagSpin) != 0) {
      // The budget after a round seen here, worked out before polling: this
      // waiter is early, and the instant it sees the release is the round's
      // critical path. relaxed: a tuning hint, like every budget access.
      const uint32_t stored_budget = slot.spin_budget.load(std::memory_order_relaxed);
      const uint32_t budget_if_quick = spin_budget_after_quick_round(stored_budget);
      for (uint32_t polls = wait_policy().quick_polls; polls != 0; --polls) {
        if (round_is_after(slot.open_round.load(std::memory_order_acquire), round)) {
          // Stored only while it grows back: a steady program writes nothing.
          if (__builtin_expect(budget_if_quick != stored_budget, 0)) {
            slot.spin_budget.store(budget_if_quick, std::memory_order_relaxed);
          }
          record->outcome = WaitOutcome::kSpun;
          return 0;
        }
        cpu_relax();
      }
    }
    record->outcome = wait_for_round_on_slot(slot, constants, round, *record);
    return 0;
  }
  // Last arriver.
  wake_slot_detail::complete_round(slot, round);
  // The completer had asynchronous cancellation deferred until here.
  if (__builtin_expect(cancel_type_after_completion != PTHREAD_CANCEL_DEFERRED, 0)) {
    pthread_setcanceltype(cancel_type_after_completion, nullptr);
  }
  record->outcome = WaitOutcome::kCompletedRound;
  return PTHREAD_BARRIER_SERIAL_THREAD;
}

}  // namespace bshim
