// Arriving at a barrier: the one read-modify-write of the state word that
// both wait paths start with.
#pragma once

#include "barrier/barrier_object_access.h"
#include "robust/break_round.h"
#include "os/cpu_relax.h"
#include "os/futex.h"
#include "robust/robust_membership.h"
#include "threads/thread_records.h"

namespace bshim {

// An arrival that found its round full waits for the completer's reset: a
// few instructions away, so it spins first. Then it naps instead, because a
// spinning or yielding waiter of higher real-time priority on the completer's
// CPU would keep the completer from ever running (SCHED_FIFO; found by
// tests/reliability/realtime_priorities_never_starve/private-overfull).
// 1000 polls are ~25 us here; a 50 us nap lets any lower-priority thread run.
inline constexpr int kFullRoundSpins = 1000;
inline constexpr uint64_t kFullRoundNapNs = 50'000;

// Waits until the full round `before` belongs to has been reset, and returns
// the state then; on a robust barrier, returns the broken state instead if
// the round breaks, or breaks it itself when the completer's process died
// between its arrival and its release (nobody else could: there is no
// sleeper in a full round).
// Out of line: the rare overfull case stays off the arrival's path.
__attribute__((noinline)) inline uint64_t wait_for_reset(BarrierObject* object, const BarrierConstants& constants,
                               uint64_t before) {
  const bool robust = is_robust(constants);
  const FutexScope scope = futex_scope_of(constants.flags);
  // Naps between membership checks, and whether the last check found a
  // death: a completer that is merely slow gets one more interval to release.
  const uint64_t naps_per_check =
      robust_config().check_interval_ns / kFullRoundNapNs + 1;
  bool death_seen = false;
  for (uint64_t polls = 0;; ++polls) {
    // acquire: the reset comes before the release that we then take part in.
    const uint64_t now = object->state.load(std::memory_order_acquire);
    if (robust && (now & kBrokenBit) != 0) return now;
    if (round_of(now) != round_of(before)) return now;
    if (polls < kFullRoundSpins) {
      cpu_relax();
      continue;
    }
    // The nap: a futex wait on the round word with a short deadline, which
    // also ends at once if the reset changed the word. A raw system call: no
    // cancellation point (pthread_barrier_wait is none; this may run inside
    // an exit window), no errno change, EINTR just polls again.
    futex_wait_bitset_until(round_futex_word(object), static_cast<uint32_t>(now >> 32),
                            FUTEX_BITSET_MATCH_ANY, scope, deadline_after(kFullRoundNapNs));
    if (robust && (polls - kFullRoundSpins) % naps_per_check == naps_per_check - 1) {
      const bool death = membership_lost_a_member(constants.robust_semaphore);
      if (death && death_seen && break_open_round(object, round_of(before))) {
        wake_everyone_after_break(object, scope);
      }
      death_seen = death;
    }
  }
}

// Counts this thread's arrival and returns the state just before it.
//
// When more threads than `count` use the barrier, an arrival can land
// between a round's last arrival and its reset, which discards it. Such an
// arrival waits for the reset and arrives again. The round is not released
// before its reset, and this thread takes part in the next round, so reading
// the object here is legal (on the object path the caller's exit window is
// open as well). On a robust barrier that breaks meanwhile, the reset never
// comes: the broken state is returned instead (the caller checks kBrokenBit).
// While it waits, its entry in `tracked` names the next round, which it
// joins: init and destroy count it as blocked (after the reset the state
// word shows no arrival of its own; see wait_on_wake_slot.h).
__attribute__((always_inline)) inline uint64_t arrive(BarrierObject* object,
                                                      const BarrierConstants& constants,
                                                      TrackedWait* tracked) {
  const uint64_t broken_bit = is_robust(constants) ? kBrokenBit : 0;
  for (;;) {
    // acq_rel: release hands our earlier writes to the completer; acquire, if
    // we are the completer, takes every other arrival's writes (release
    // sequence).
    const uint64_t before = object->state.fetch_add(1, std::memory_order_acq_rel);
    if (arrivals_of(before) < constants.count || (before & broken_bit) != 0) return before;
    tracked->arrived_in(next_round(round_of(before)));
    const uint64_t after_reset = wait_for_reset(object, constants, before);
    if ((after_reset & broken_bit) != 0) return after_reset;
  }
}

}  // namespace bshim
