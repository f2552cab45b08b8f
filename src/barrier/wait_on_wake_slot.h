// The private wait path: barriers with a wake slot (private ones, and
// process-shared ones in private memory). After its arrival a waiter touches
// nothing but the slot, so the barrier's memory may be released by any means.
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
//
// The arrival and the completion are inlined into pthread_barrier_wait (the
// call and the record's stores through a pointer cost about 20 instructions
// per wait); the waiting itself is out of line (wait_on_wake_slot.cc).
#pragma once

#include "barrier/arrive.h"
#include "barrier/wait_paths.h"
#include "os/futex.h"

namespace bshim {

// Spins, yields, then sleeps until round `round` is complete on `slot`; says
// which phase saw it. For a waiter that is not the round's last arriver.
WaitOutcome wait_for_round_on_slot(WakeSlot& slot, const BarrierConstants& constants,
                                   uint32_t round, const WaitRecord& record);

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

}  // namespace wake_slot_detail

__attribute__((always_inline)) inline int wait_on_wake_slot(BarrierObject* object,
                                                           const BarrierConstants& constants,
                                                           WakeSlot& slot, WaitRecord* record) {
  const uint64_t before = arrive(object, constants);
  const uint32_t round = round_of(before);
  record->tracked->arrived_in(round);
  record->round = round;
  record->arrival = arrivals_of(before) + 1;
  if (arrivals_of(before) + 1 != constants.count) {
    record->outcome = wait_for_round_on_slot(slot, constants, round, *record);
    return 0;
  }
  // Last arriver. Reset the arrivals for the next round; relaxed, because the
  // next round's arrivers come after seeing the advance below (release).
  const uint32_t next = next_round(round);
  object->state.store(state_for_round(next), std::memory_order_relaxed);
  // The round is released here. From now on this thread touches only the slot.
  wake_slot_detail::advance_open_round(slot, next);
  // seq_cst: the other half of the Dekker pair above; a sleeper counted
  // before our advance is seen here and woken.
  if (slot.sleepers.load(std::memory_order_seq_cst) != 0) {
    futex_wake_all(wake_slot_detail::futex_word_of(slot), FutexScope::kPrivate);
  }
  record->outcome = WaitOutcome::kCompletedRound;
  return PTHREAD_BARRIER_SERIAL_THREAD;
}

}  // namespace bshim
