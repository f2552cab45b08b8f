#include "barrier/blocked_waiters.h"

#include "os/futex.h"
#include "os/monotonic_clock.h"
#include "threads/thread_records.h"

namespace bshim {
namespace {

// How long arrivals of other processes that are neither asleep nor done get
// to fall asleep before they are taken for arrivals of dead threads: longer
// than the longest spin (kDefaultMaxSpinNs, 2 ms) and yield phase a waiter
// has before it sets the sleepers bit and sleeps, with room for a loaded
// machine. Spent only when such arrivals exist; looked at every millisecond.
constexpr uint64_t kSettleNs = 50'000'000;
constexpr uint64_t kSettleLookNs = 1'000'000;

// A nap that is no cancellation point (init and destroy are none): a timed
// futex wait on a word nobody wakes.
void nap(uint64_t nanoseconds) {
  const uint32_t nobody_wakes_this = 0;
  futex_wait_bitset_until(&nobody_wakes_this, 0, FUTEX_BITSET_MATCH_ANY, FutexScope::kPrivate,
                          deadline_after(nanoseconds));
}

// Arrivals counted in `state` that no thread of this process accounts for:
// are they threads of other processes that still wait?
bool other_processes_wait(const BarrierObject* object, uint64_t state) {
  const uint64_t started_ns = monotonic_ns();
  for (;;) {
    // acquire: a round that completed meanwhile had live participants, who
    // are leaving it now: nobody is blocked in it any more.
    const uint64_t now = object->state.load(std::memory_order_acquire);
    if (round_of(now) != round_of(state) || arrivals_of(now) == 0) return false;
    // The kernel knows who sleeps, and forgets the sleepers of dead processes.
    if (futex_count_sleepers(round_futex_word(object), FutexScope::kShared) > 0) return true;
    if (monotonic_ns() - started_ns >= kSettleNs) return false;
    nap(kSettleLookNs);
  }
}

}  // namespace

bool has_blocked_waiters(const pthread_barrier_t* barrier, const BarrierConstants& constants,
                         uint64_t state) {
  if (const WakeSlot* slot = owned_wake_slot(barrier, constants)) {
    // The private path: the slot, not the state word (which free() may have
    // overwritten), says which rounds completed. acquire: a completed round's
    // waiters may be gone already; nothing else is read through it.
    const uint32_t open_round = slot->open_round.load(std::memory_order_acquire);
    // An entry not arrived yet is no blocked thread: it is a few
    // instructions from its arrival, or its arrival was just counted and its
    // round not yet noted (then it may belong to a round already complete).
    const auto incomplete = [open_round](uint32_t round) {
      return round != kRoundNotArrived && !round_is_after(open_round, round);
    };
    if (any_tracked_wait_on(barrier, constants.generation, incomplete)) return true;
    // Threads without a record: judge by the bytes, as far as they go.
    return untracked_waits() != 0 && arrivals_of(state) != 0 && round_of(state) == open_round;
  }
  const uint32_t open_round = round_of(state);
  const bool arrivals = arrivals_of(state) != 0;
  const auto incomplete = [open_round, arrivals](uint32_t round) {
    return arrivals && round == open_round;  // kRoundNotArrived is no round
  };
  if (any_tracked_wait_on(barrier, constants.generation, incomplete)) return true;
  if (!arrivals) return false;
  if (untracked_waits() != 0) return true;
  // Only this process's threads could have arrived at a private barrier, and
  // none of them is inside a wait on it: the arrivals are of threads gone.
  if ((constants.flags & kFlagProcessShared) == 0) return false;
  return other_processes_wait(reinterpret_cast<const BarrierObject*>(barrier), state);
}

}  // namespace bshim
