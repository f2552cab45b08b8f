// Arriving at a barrier: the one read-modify-write of the state word that
// both wait paths start with.
#pragma once

#include <time.h>

#include "barrier_object_access.h"
#include "cpu_relax.h"

namespace bshim {

// An arrival that found its round full waits for the completer's reset: a
// few instructions away, so it spins first. Then it naps instead, because a
// spinning or yielding waiter of higher real-time priority on the completer's
// CPU would keep the completer from ever running (SCHED_FIFO; found by
// tests/reliability/realtime_priorities_never_starve/private-overfull).
// 1000 polls are ~25 us here; a 50 us nap lets any lower-priority thread run.
inline constexpr int kFullRoundSpins = 1000;
inline constexpr long kFullRoundNapNs = 50'000;

// Counts this thread's arrival and returns the state just before it.
//
// When more threads than `count` use the barrier, an arrival can land
// between a round's last arrival and its reset, which discards it. Such an
// arrival waits for the reset and arrives again. The round is not released
// before its reset, and this thread takes part in the next round, so reading
// the object here is legal (on the object path the caller's exit window is
// open as well). On a robust barrier that breaks meanwhile, the reset never
// comes: the broken state is returned instead (the caller checks kBrokenBit).
inline uint64_t arrive(BarrierObject* object, const BarrierConstants& constants) {
  const uint64_t broken_bit = is_robust(constants) ? kBrokenBit : 0;
  for (;;) {
    // acq_rel: release hands our earlier writes to the completer; acquire, if
    // we are the completer, takes every other arrival's writes (release
    // sequence).
    const uint64_t before = object->state.fetch_add(1, std::memory_order_acq_rel);
    if (arrivals_of(before) < constants.count || (before & broken_bit) != 0) return before;
    // acquire: the reset comes before the release that we then take part in.
    for (int polls = 0;; ++polls) {
      const uint64_t now = object->state.load(std::memory_order_acquire);
      if ((now & broken_bit) != 0) return now;
      if (round_of(now) != round_of(before)) break;
      if (polls < kFullRoundSpins) {
        cpu_relax();
      } else {
        // No allocation, nothing that can fail; EINTR just polls again.
        const struct timespec nap = {0, kFullRoundNapNs};
        nanosleep(&nap, nullptr);
      }
    }
  }
}

}  // namespace bshim
