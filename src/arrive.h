// Arriving at a barrier: the one read-modify-write of the state word that
// both wait paths start with.
#pragma once

#include "barrier_object_access.h"
#include "cpu_relax.h"

namespace bshim {

// Counts this thread's arrival and returns the state just before it.
//
// When more threads than `count` use the barrier, an arrival can land
// between a round's last arrival and its reset, which discards it. Such an
// arrival waits for the reset and arrives again. The round is not released
// before its reset, and this thread takes part in the next round, so reading
// the object here is legal (on the object path the caller's exit window is
// open as well).
inline uint64_t arrive(BarrierObject* object, const BarrierConstants& constants) {
  for (;;) {
    // acq_rel: release hands our earlier writes to the completer; acquire, if
    // we are the completer, takes every other arrival's writes (release
    // sequence).
    const uint64_t before = object->state.fetch_add(1, std::memory_order_acq_rel);
    if (arrivals_of(before) < constants.count) return before;
    // acquire: the reset comes before the release that we then take part in.
    while (round_of(object->state.load(std::memory_order_acquire)) == round_of(before)) {
      cpu_relax();
    }
  }
}

}  // namespace bshim
