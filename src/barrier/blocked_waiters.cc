#include "barrier/blocked_waiters.h"

#include "barrier/arrival_tree.h"

#include "os/futex.h"
#include "os/mapping_sharers.h"
#include "robust/robust_membership.h"
#include "threads/thread_records.h"

namespace bshim {
namespace {

// Arrivals counted in `state` that no thread of this process accounts for:
// are they threads of other processes that still wait? Only proof counts: a
// sleeper the kernel knows of says yes; a thread that is stopped (SIGSTOP, a
// debugger) or preempted before its sleep is on no futex queue, so the
// arrivals are taken for dead processes' only when no other process has the
// barrier's page mapped (os/mapping_sharers.h): each of them wrote it.
bool other_processes_wait(const BarrierObject* object, const BarrierConstants& constants,
                          uint64_t state) {
  // acquire: a round that completed meanwhile had live participants, who
  // are leaving it now: nobody is blocked in it any more.
  const uint64_t now = object->state.load(std::memory_order_acquire);
  if (round_of(now) != round_of(state) || arrivals_of(now) == 0) return false;
  if (futex_count_sleepers(round_futex_word(object), FutexScope::kShared) > 0) return true;
  // A robust barrier knows its participant processes: none other alive
  // proves the arrivals are the dead ones', whoever else maps the page.
  if (is_robust(constants) && other_live_members(constants.robust_semaphore) == 0) return false;
  return page_sharing_of(object) != PageSharing::kExclusive;
}

}  // namespace

bool has_blocked_waiters(const pthread_barrier_t* barrier, const BarrierConstants& constants,
                         uint64_t state) {
  if (const WakeSlot* slot = owned_wake_slot(barrier, constants)) {
    // The private path: the slot, not the barrier's bytes, counts the
    // arrivals and says which rounds completed. acquire: a completed round's
    // waiters may be gone already; nothing else is read through it.
    const uint32_t open_round = slot->open_round.load(std::memory_order_acquire);
    const uint64_t slot_arrivals = slot->arrivals.load(std::memory_order_acquire);
    // An entry not arrived yet counts only while the slot shows arrivals in
    // the open round: it is a few instructions from its arrival, or its
    // arrival was counted and its round not yet noted (a straggler of a
    // round that completed meanwhile shows none, and must not count).
    // A tree barrier's root shows only its full leaves: its leaves say
    // whether anyone arrived (arrival_tree.h).
    const int index = wake_slot_index(constants.flags);
    const bool arrivals = round_of(slot_arrivals) == open_round &&
                          (has_arrival_tree(index) ? tree_arrivals_in_round(index, open_round) != 0
                                                   : arrivals_of(slot_arrivals) != 0);
    const auto incomplete = [open_round, arrivals](uint32_t round) {
      return round == kRoundNotArrived ? arrivals : !round_is_after(open_round, round);
    };
    if (any_tracked_wait_on(barrier, constants.generation, incomplete)) return true;
    // Threads without a record: judge by the bytes, as far as they go.
    return untracked_waits() != 0 && arrivals;
  }
  const uint32_t open_round = round_of(state);
  const bool arrivals = arrivals_of(state) != 0;
  // A wait whose arrival is counted but whose round is not noted yet (a few
  // instructions, or as long as a handler that interrupts it there runs)
  // counts while the bytes show arrivals in the open round. One that names
  // the open round counts (a round is released and reset in one step, so it
  // has arrivals, unless it is the next round named below that was just
  // opened), and so does one that names the next: an arrival that found the
  // open round full names the next round and waits for the reset to join it
  // (arrive.h).
  const auto incomplete = [open_round, arrivals](uint32_t round) {
    if (round == kRoundNotArrived) return arrivals;
    return round == open_round || round == next_round(open_round);
  };
  if (any_tracked_wait_on(barrier, constants.generation, incomplete)) return true;
  if (!arrivals) return false;
  if (untracked_waits() != 0) return true;
  // Only this process's threads could have arrived at a private barrier, and
  // none of them is inside a wait on it: the arrivals are of threads gone.
  if ((constants.flags & kFlagProcessShared) == 0) return false;
  return other_processes_wait(reinterpret_cast<const BarrierObject*>(barrier), constants, state);
}

}  // namespace bshim
