// The object wait path: process-shared barriers, and private barriers that
// found no free wake slot.
//
// Waiters of another process may complete the round, so the only place to
// learn about it is the object. Two rules keep every access to it safe:
//  1. From before its arrival until it either sees the release or has set the
//     sleepers bit, a waiter holds an exit window of this process's unmap
//     lock: munmap, mmap(MAP_FIXED), mremap, shmdt and destroy in this process
//     wait for it. The window is bounded (spin budget, then a CAS), so they
//     wait at most that long; a waiter asleep in an incomplete round holds
//     nothing.
//  2. A sleeper never reads the object in user space again. The kernel reads
//     the futex word for it: 0 means this round's completer woke it (the wake
//     bit alternates per round, so the previous round's late wake cannot),
//     EAGAIN means the word changed (only the release changes it once the
//     sleepers bit is set), EFAULT means the page is gone (legal only after
//     the round completed). EINTR simply waits again.
// The completer holds an exit window from before its arrival until its wake
// has been issued, so its own process cannot unmap the page under the wake
// (a shared-futex wake on an unmapped page fails, and the sleepers of other
// processes would never wake: glibc's pshared destroy hang, design-facts 1.2).
#include <sched.h>

#include "cpu_relax.h"
#include "futex.h"
#include "unmap_lock.h"
#include "wait_paths.h"
#include "wait_policy.h"

namespace bshim {
namespace {

// True once the round is over: the round number moved on, or the memory no
// longer holds this barrier (destroyed, overwritten, re-initialised).
bool round_is_over(const BarrierObject* object, const BarrierConstants& constants,
                   uint32_t round, uint64_t state) {
  return round_of(state) != round || !still_same_barrier(object, constants);
}

// Inside the exit window: spin, yield, then set the sleepers bit. Returns
// false if the round ended first (the caller returns at once), true if the
// bit is set and the caller must sleep.
bool arm_sleep_unless_over(BarrierObject* object,
                           const BarrierConstants& constants, uint32_t round) {
  const WaitPolicy& policy = wait_policy();
  const UnmapLock& lock = process_unmap_lock();
  // acquire (all state loads): a released round carries the writes of every
  // participant, published by the completer's exchange.
  if ((constants.flags & kFlagSpin) != 0) {
    for (uint32_t i = 0; i < policy.spin_iterations && !lock.unmapper_waiting(); ++i) {
      if (round_is_over(object, constants, round,
                        object->state.load(std::memory_order_acquire))) {
        return false;
      }
      cpu_relax();
    }
  }
  for (uint32_t i = 0; i < policy.yield_iterations && !lock.unmapper_waiting(); ++i) {
    if (round_is_over(object, constants, round,
                      object->state.load(std::memory_order_acquire))) {
      return false;
    }
    sched_yield();
  }
  uint64_t state = object->state.load(std::memory_order_acquire);
  for (;;) {
    if (round_is_over(object, constants, round, state)) return false;
    if ((state & kSleepersBit) != 0) return true;  // another sleeper set it
    // acquire: a failed CAS may have seen the release and must carry its
    // writes. The completer's exchange sees the bit through the modification
    // order of `state` alone, so success needs nothing stronger.
    if (object->state.compare_exchange_weak(state, state | kSleepersBit,
                                            std::memory_order_acquire)) {
      return true;
    }
  }
}

void sleep_until_round_over(const uint32_t* futex_word, uint32_t round,
                            FutexScope scope) {
  // See rule 2 above: every result but EINTR means the round is over.
  while (futex_wait_bitset(futex_word, sleeping_futex_value(round),
                           wake_bit_for(round), scope) == EINTR) {
  }
  // The kernel's wake and wait paths are full barriers, but say what we rely
  // on: writes made before the completer's exchange are visible after this.
  std::atomic_thread_fence(std::memory_order_acquire);
}

}  // namespace

int wait_on_object(BarrierObject* object, const BarrierConstants& constants) {
  const FutexScope scope = (constants.flags & kFlagProcessShared) != 0
                               ? FutexScope::kShared
                               : FutexScope::kPrivate;
  const uint32_t* futex_word = round_futex_word(object);
  uint32_t round;
  {
    ExitWindow window;  // rule 1: opened before the arrival
    // acq_rel: release hands our writes to the completer; acquire, if we are
    // the completer, takes every other arrival's writes.
    const uint64_t before = object->state.fetch_add(1, std::memory_order_acq_rel);
    round = round_of(before);
    if (arrivals_of(before) + 1 == constants.count) {
      // Last arriver: release the round and read the sleepers bit in one
      // step, so no sleeper can set it unseen. release: publishes the round
      // (every arrival's writes, acquired above) to pollers' acquire loads.
      const uint64_t released = object->state.exchange(
          state_for_round(next_round(round)), std::memory_order_acq_rel);
      if ((released & kSleepersBit) != 0) {
        // Still inside the window: the page stays mapped in this process.
        futex_wake_all_bitset(futex_word, wake_bit_for(round), scope);
      }
      return PTHREAD_BARRIER_SERIAL_THREAD;
    }
    if (!arm_sleep_unless_over(object, constants, round)) return 0;
  }
  sleep_until_round_over(futex_word, round, scope);
  return 0;
}

}  // namespace bshim
