// The private wait path.
//
// Why a waiter never needs the object after its arrival: it reads the slot's
// completion counter (value `seen`) before arriving, and waits for any other
// value. The slot belongs to this barrier alone (wake_slots.h), so the next
// change is the completion of this waiter's round:
//  - the previous round's increment is already visible: this thread returned
//    from that round only after seeing it (or made it itself);
//  - this round's increment comes after `seen` in the counter's modification
//    order: our load is sequenced before our release fetch_add on the state,
//    which the completer's acquire fetch_add reads from, and the completer
//    increments only after that (read-write coherence).
// The completer writes the object only before its increment, and nobody
// returns before the increment, so the object is dead to this round the
// instant the increment lands.
#include <sched.h>

#include "cpu_relax.h"
#include "futex.h"
#include "wait_paths.h"
#include "wait_policy.h"

namespace bshim {
namespace {

const uint32_t* futex_word_of(const WakeSlot& slot) {
  return reinterpret_cast<const uint32_t*>(&slot.completions);
}

void wait_for_completion(WakeSlot& slot, uint32_t seen, bool may_spin) {
  const WaitPolicy& policy = wait_policy();
  // acquire (all loads below): the completer's release increment carries every
  // participant's writes before the barrier; seeing it makes them visible here.
  if (may_spin) {
    for (uint32_t i = 0; i < policy.spin_iterations; ++i) {
      if (slot.completions.load(std::memory_order_acquire) != seen) return;
      cpu_relax();
    }
  }
  for (uint32_t i = 0; i < policy.yield_iterations; ++i) {
    if (slot.completions.load(std::memory_order_acquire) != seen) return;
    sched_yield();
  }
  // seq_cst increment, then seq_cst load: pairs with the completer's seq_cst
  // increment-then-load of `sleepers` (Dekker), so either we see the new
  // count or the completer sees us and wakes the slot.
  slot.sleepers.fetch_add(1, std::memory_order_seq_cst);
  while (slot.completions.load(std::memory_order_seq_cst) == seen) {
    // Sleeps only while the counter still equals `seen`. 0 (woken), EAGAIN
    // (it changed) and EINTR (a handler ran) all just re-check: no EINTR ever
    // reaches the caller. The slot is never unmapped, so no EFAULT.
    futex_wait(futex_word_of(slot), seen, FutexScope::kPrivate);
  }
  // relaxed: only gates whether a completer issues a wake syscall.
  slot.sleepers.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace

int wait_on_wake_slot(BarrierObject* object, const BarrierConstants& constants,
                      WakeSlot& slot) {
  // relaxed: ordered before our arrival by the release half of the fetch_add
  // below; see the proof at the top of this file.
  const uint32_t seen = slot.completions.load(std::memory_order_relaxed);
  // acq_rel: release hands our earlier writes to the completer; acquire, if we
  // are the completer, takes every other arrival's writes (release sequence).
  const uint64_t before = object->state.fetch_add(1, std::memory_order_acq_rel);
  if (arrivals_of(before) + 1 != constants.count) {
    wait_for_completion(slot, seen, (constants.flags & kFlagSpin) != 0);
    return 0;
  }
  // Last arriver. Reset the arrivals for the next round; relaxed, because the
  // next round's arrivers come after seeing the increment below (release).
  object->state.store(state_for_round(next_round(round_of(before))),
                      std::memory_order_relaxed);
  // The round is released here. From now on this thread touches only the slot.
  // seq_cst: release for the waiters (see above), and ordered before the load
  // of `sleepers` (Dekker with wait_for_completion).
  slot.completions.fetch_add(1, std::memory_order_seq_cst);
  if (slot.sleepers.load(std::memory_order_seq_cst) != 0) {
    futex_wake_all(futex_word_of(slot), FutexScope::kPrivate);
  }
  return PTHREAD_BARRIER_SERIAL_THREAD;
}

}  // namespace bshim
