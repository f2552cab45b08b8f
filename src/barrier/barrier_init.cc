// pthread_barrier_init, pthread_barrier_destroy: everything that can fail
// happens here, never in wait.
#include <cerrno>

#include "barrier/arrival_tree.h"
#include "barrier/barrier.h"
#include "barrier/barrier_attr.h"
#include "barrier/barrier_object_access.h"
#include "barrier/blocked_waiters.h"
#include "barrier/generation.h"
#include "os/mapping_kind.h"
#include "robust/robust_membership.h"
#include "barrier/tool_annotations.h"
#include "unmap_lock/unmap_lock.h"
#include "barrier/wait_policy.h"
#include "contract/diagnostic_hooks.h"

namespace bshim {
namespace {

int initialise(pthread_barrier_t* barrier, const pthread_barrierattr_t* attr,
               unsigned count) {
  if (barrier == nullptr ||
      reinterpret_cast<uintptr_t>(barrier) % alignof(uint64_t) != 0) {
    return EINVAL;
  }
  if (count == 0 || count > kMaxCount) return EINVAL;
  bool process_shared = false;
  if (attr != nullptr && !decode_barrierattr(attr, &process_shared)) return EINVAL;
  // For race detectors: the 32 bytes are the shim's atomic words until
  // destroy (tool_annotations.h).
  announce_internal_memory(barrier, sizeof(*barrier));

  BarrierObject* object = as_object(barrier);
  // relaxed: read to pick a different round and generation below, and to
  // judge whether these bytes hold a live barrier with a blocked waiter.
  const uint64_t old_state = object->state.load(std::memory_order_relaxed);
  const uint32_t old_generation = object->generation.load(std::memory_order_relaxed);
  BarrierConstants old{};
  const bool was_live = load_live_barrier(barrier, &old);
  // A robust barrier that broke, then was destroyed or not: destroy keeps
  // every field but the check, so its survivors can still tell.
  const uint32_t old_flags = object->flags.load(std::memory_order_relaxed);
  const bool was_broken = (old_state & kBrokenBit) != 0 && old_generation != 0 &&
                          (was_live ? is_robust(old) : (old_flags & kFlagRobust) != 0);
  // POSIX leaves init over a barrier in use undefined; we refuse it while a
  // thread is really blocked in it rather than strand that thread. Bytes
  // that merely look like a barrier with arrivals (freed, copied, or left by
  // threads that no longer exist) are initialised (blocked_waiters.h). A
  // broken robust barrier may be initialised again: its blocked survivors
  // see the generation that follows a break and answer EOWNERDEAD.
  if (was_live && !was_broken && has_blocked_waiters(barrier, old, old_state)) return EBUSY;
  // The new barrier's identity: never the old one's, so that a straggler of
  // the old barrier still inside its wait sees that its round is over.
  const uint32_t generation =
      was_broken ? successor_after_break(old_generation) : new_generation(old_generation);

  uint32_t flags = process_shared ? kFlagProcessShared : 0;
  const UsableCpus cpus = usable_cpus();
  if (count <= cpus.count) flags |= kFlagSpin;
  const uintptr_t address = reinterpret_cast<uintptr_t>(barrier);
  WakeSlot* const old_slot = was_live ? owned_wake_slot(barrier, old) : nullptr;
  // A round number other than the memory's old one, taken from the
  // generation when the old bytes are no barrier (zeroed, say): a sleeping
  // straggler of an earlier barrier here rarely shares the new round's
  // futex value, so it is not even woken by it (it would notice the new
  // generation anyway).
  uint32_t first_round = was_live ? next_round(round_of(old_state))
                                  : (generation >> 1) % kNeverRound;
  if (first_round == round_of(old_state)) first_round = next_round(first_round);
  // A process-shared barrier in a private mapping (the heap, a stack, a
  // MAP_PRIVATE page) can only ever be shared by this process's threads, so it
  // gets the private path too, and with it safety against free() of large
  // blocks, which glibc unmaps behind every interposer's back.
  const bool use_wake_slot =
      !process_shared || mapping_kind_of(barrier) == MappingKind::kPrivate;
  // Robust mode needs other processes to die on it: process-shared barriers
  // in shared memory only (robust_membership.h).
  uint32_t robust_semaphore = 0;
  if (process_shared && !use_wake_slot && robust_config().enabled) {
    // The one thing that can fail, done before the object is touched.
    const int error = create_membership(&robust_semaphore);
    if (error != 0) return error;
    flags |= kFlagRobust;
  }
  if (was_live && is_robust(old)) remove_membership(old.robust_semaphore);
  if (use_wake_slot) {
    // Finds the slot this address already owns, if any, or claims one; no
    // slot means the object wait path (slower, not proof against releases
    // that no interposer sees: see doc/design.md).
    const int slot = claim_wake_slot(address, generation);
    if (slot >= 0) {
      flags = flags_with_wake_slot(flags, slot);
      // Start at the slot's open round, so that waiters (who wait for the
      // slot to pass their round) and the slot agree, and the slot never has
      // to move back under a straggler of its previous owner. relaxed: the
      // slot only moves forward, and any value it held serves.
      first_round = wake_slot(slot).open_round.load(std::memory_order_relaxed);
      // The slot counts the barrier's arrivals from now on: none yet, in the
      // first round. relaxed: published by the release store of `state`
      // below, as the constants are. (has_blocked_waiters found no thread
      // of an earlier owner at this address still arriving here.)
      wake_slot(slot).arrivals.store(state_for_round(first_round), std::memory_order_relaxed);
      // Its arrival tree, if it gets one (arrival_tree.h), empty as well.
      plan_arrival_tree(slot, count, first_round, cpus);
      // A new barrier starts from the initial spin budget. relaxed: a hint.
      wake_slot(slot).spin_budget.store(0, std::memory_order_relaxed);
      wake_slot(slot).yield_budget.store(0, std::memory_order_relaxed);
      wake_slot(slot).slow_last.store(kNeverRound, std::memory_order_relaxed);
      wake_slot(slot).slow_in_a_row.store(0, std::memory_order_relaxed);
    }
  } else if (old_slot != nullptr) {
    release_wake_slot(wake_slot_index(old.flags), address, old.generation);
  }

  // relaxed: published by the release store of `state` below and, for other
  // threads, by whatever hands them the barrier.
  object->count.store(count, std::memory_order_relaxed);
  object->flags.store(flags, std::memory_order_relaxed);
  object->robust_semaphore.store(robust_semaphore, std::memory_order_relaxed);
  object->generation.store(generation, std::memory_order_relaxed);
  object->check.store(integrity_check(count, flags, robust_semaphore, generation),
                      std::memory_order_relaxed);
  // Sleepers bit clear: no sleeper's expected futex value (which has the bit
  // set) matches. release: orders the constant fields before it.
  object->state.store(state_for_round(first_round), std::memory_order_release);
  return 0;
}

// Destroys the live barrier whose constants are `constants`.
int destroy_live(pthread_barrier_t* barrier, const BarrierConstants& constants) {
  BarrierObject* object = as_object(barrier);
  // acquire: pairs with the release of the last completed round, so the
  // arrivals we read are at least that round's reset.
  const uint64_t state = object->state.load(std::memory_order_acquire);
  const bool broken = is_robust(constants) && (state & kBrokenBit) != 0;
  if (!broken && has_blocked_waiters(barrier, constants, state)) {
    return EBUSY;  // a thread is blocked in an incomplete round: leave it be
  }
  // From here on wait and destroy answer EINVAL, and pollers stop polling.
  object->check.store(0, std::memory_order_relaxed);
  if (owned_wake_slot(barrier, constants) != nullptr) {
    // Private waiters never read the object after arriving: nothing to wait for.
    release_wake_slot(wake_slot_index(constants.flags), reinterpret_cast<uintptr_t>(barrier),
                      constants.generation);
  } else {
    // Object wait path: waiters of this process may still be reading the
    // object inside their exit windows. Taking the unmap side waits them out;
    // once it is ours, no thread of this process touches the object again.
    const uintptr_t begin = reinterpret_cast<uintptr_t>(barrier);
    UnmapSection wait_out_exit_windows(begin, begin + sizeof(*barrier));
  }
  // Sleepers of other processes that still re-check a broken barrier read
  // the state word, which keeps its broken bit: they answer EOWNERDEAD.
  if (is_robust(constants)) remove_membership(constants.robust_semaphore);
  // No waiter of this process reads the object any more: the program's again.
  announce_destroyed_barrier(object);
  return 0;
}

}  // namespace

// Race detectors see init and destroy as with glibc: announced before, with
// whatever the call then answers, and after (tool_annotations.h).
int barrier_init(pthread_barrier_t* barrier, const pthread_barrierattr_t* attr,
                 unsigned count, const void* call_site) {
  announce_init(barrier, count);
  const int result = initialise(barrier, attr, count);
  announce_init_done(barrier);
  if (result == 0 && diagnostics_config().init_sites) stats_record_init(barrier, call_site, count);
  return result;
}

int barrier_destroy(pthread_barrier_t* barrier) {
  announce_destroy(barrier);
  BarrierConstants constants{};
  const int result =
      load_live_barrier(barrier, &constants) ? destroy_live(barrier, constants) : EINVAL;
  // The count, for the tools, in case the barrier lives on (EBUSY).
  announce_destroy_done(barrier, result, constants.count);
  return result;
}

}  // namespace bshim
