// Breaking a round of a robust barrier (robust_membership.h), shared by the
// full-round arrival (arrive.h) and the sleeper (wait_on_object.cc). The
// caller must be allowed to touch the object: its round is open and it holds
// an exit window.
#pragma once

#include "contract/barrier_layout.h"
#include "os/futex.h"

namespace bshim {

// Sets the broken bit while `round` is still the open round. Returns true if
// the round is broken (by this call or an earlier one), false if it moved on
// (it completed first). A completer's release CAS that comes later in the
// modification order of `state` fails on the bit; one that came earlier moved
// the round, which the loop sees.
inline bool break_open_round(BarrierObject* object, uint32_t round) {
  // acquire: if the round completed meanwhile, its writes come with it.
  uint64_t state = object->state.load(std::memory_order_acquire);
  for (;;) {
    if (round_of(state) != round) return false;
    if ((state & kBrokenBit) != 0) return true;  // another survivor was first
    // acq_rel: orders the bit after everything this thread saw of the round.
    if (object->state.compare_exchange_weak(state, state | kBrokenBit,
                                            std::memory_order_acq_rel,
                                            std::memory_order_acquire)) {
      return true;
    }
  }
}

// Wakes every sleeper of the barrier, whichever wake bit it waits with. The
// bit does not change the futex word, so a sleeper entering FUTEX_WAIT after
// this wake sleeps until its next membership check, which sees the bit.
inline void wake_everyone_after_break(const BarrierObject* object, FutexScope scope) {
  futex_wake_all_bitset(round_futex_word(object), FUTEX_BITSET_MATCH_ANY, scope);
}

inline FutexScope futex_scope_of(uint32_t flags) {
  return (flags & kFlagProcessShared) != 0 ? FutexScope::kShared : FutexScope::kPrivate;
}

}  // namespace bshim
