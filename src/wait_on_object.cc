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
//     the futex word for it: EAGAIN means the word changed (only the release
//     changes it once the sleepers bit is set), EFAULT means the page is gone
//     (legal only after the round completed), EINTR waits again. A wake (0)
//     normally comes from this round's completer (the wake bit alternates per
//     round), and a timeout comes periodically; after either, the sleeper
//     re-reads the object through the kernel (read_without_fault.h), because
//     a late wake of an earlier round can reach it when more threads than
//     `count` use the barrier or after re-init, and because memory reused
//     with the very same 4 bytes at offset 4 would otherwise hold it for ever.
// The completer holds an exit window from before its arrival until its wake
// has been issued, so its own process cannot unmap the page under the wake
// (a shared-futex wake on an unmapped page fails, and the sleepers of other
// processes would never wake: glibc's pshared destroy hang, design-facts 1.2).
#include <pthread.h>
#include <sched.h>

#include <ctime>

#include "arrive.h"
#include "cpu_relax.h"
#include "futex.h"
#include "read_without_fault.h"
#include "unmap_lock.h"
#include "wait_paths.h"
#include "wait_policy.h"

namespace bshim {
namespace {

// This thread's adaptive spin budget for object-path waits (wait_policy.h);
// 0 until its first adjustment.
__thread uint32_t t_spin_budget __attribute__((tls_model("initial-exec")));
// Likewise the yield budget, stored plus 1 (0: not adjusted yet).
__thread uint32_t t_yield_budget __attribute__((tls_model("initial-exec")));

// First and longest interval between a sleeper's re-checks (rule 2). Short
// enough that a sleeper stranded on reused memory notices within a second,
// long enough that a thread blocked for hours costs nothing measurable.
constexpr long kFirstRecheckNs = 1'000'000;       // 1 ms
constexpr long kLongestRecheckNs = 1'000'000'000;  // 1 s

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
    // The adaptive budget is per thread here: the object may be shared with
    // other processes, and waiters must not write it after arriving.
    const uint32_t budget =
        t_spin_budget != 0 ? t_spin_budget : policy.initial_spin_iterations;
    uint32_t spun = 0;
    bool over = false;
    for (; spun < budget && !lock.unmapper_waiting(); ++spun) {
      if (round_is_over(object, constants, round,
                        object->state.load(std::memory_order_acquire))) {
        over = true;
        break;
      }
      cpu_relax();
    }
    t_spin_budget = next_spin_budget(budget, spun, over);
    if (over) return false;
  }
  const uint32_t yield_budget =
      t_yield_budget != 0 ? t_yield_budget - 1 : policy.yield_iterations;
  const uint32_t yields =
      yields_before_sleeping((constants.flags & kFlagSpin) != 0, t_spin_budget, yield_budget);
  for (uint32_t i = 0; i < yields && !lock.unmapper_waiting(); ++i) {
    if (round_is_over(object, constants, round,
                      object->state.load(std::memory_order_acquire))) {
      t_yield_budget = next_yield_budget(yield_budget, true) + 1;
      return false;
    }
    sched_yield();
  }
  if (yields != 0) t_yield_budget = next_yield_budget(yield_budget, false) + 1;
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

// After a wake or a re-check timeout: is our round still open? Reads through
// the kernel, so an unmapped page answers "over" instead of faulting.
bool round_still_open(const BarrierObject* object, const BarrierConstants& constants,
                      uint32_t round, FutexScope scope) {
  uint64_t copy[sizeof(BarrierObject) / sizeof(uint64_t)];
  switch (read_without_fault(object, copy, sizeof(copy))) {
    case FaultFreeRead::kUnmapped:
      return false;
    case FaultFreeRead::kCopied:
      // copy[0] is the state word, copy[3] the check (barrier_layout.h).
      return round_of(copy[0]) == round &&
             copy[3] == integrity_check(constants.count, constants.flags);
    case FaultFreeRead::kUnavailable:
      break;
  }
  // No process_vm_readv: compare the futex word alone, with a deadline
  // already past (ETIMEDOUT = still equal).
  const struct timespec past = {0, 0};
  return futex_wait_bitset_until(round_futex_word(object), sleeping_futex_value(round),
                                 wake_bit_for(round), scope, past) == ETIMEDOUT;
}

struct timespec deadline_after(long nanoseconds) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);  // vDSO; async-signal-safe
  now.tv_sec += nanoseconds / 1'000'000'000;
  now.tv_nsec += nanoseconds % 1'000'000'000;
  if (now.tv_nsec >= 1'000'000'000) {
    now.tv_sec += 1;
    now.tv_nsec -= 1'000'000'000;
  }
  return now;
}

void sleep_until_round_over(const BarrierObject* object, const BarrierConstants& constants,
                            uint32_t round, FutexScope scope) {
  const uint32_t* futex_word = round_futex_word(object);
  long recheck_ns = kFirstRecheckNs;
  struct timespec deadline = deadline_after(recheck_ns);
  for (;;) {
    const int result = futex_wait_bitset_until(futex_word, sleeping_futex_value(round),
                                               wake_bit_for(round), scope, deadline);
    if (result == EINTR) continue;              // a handler ran: same deadline
    if (result != 0 && result != ETIMEDOUT) break;  // EAGAIN, EFAULT: over
    if (!round_still_open(object, constants, round, scope)) break;
    if (result == ETIMEDOUT) {
      recheck_ns = recheck_ns < kLongestRecheckNs / 2 ? recheck_ns * 2 : kLongestRecheckNs;
      deadline = deadline_after(recheck_ns);
    }
  }
  // The kernel's wake and wait paths are full barriers, but say what we rely
  // on: writes made before the completer's exchange are visible after this.
  std::atomic_thread_fence(std::memory_order_acquire);
}

// Switches this thread to deferred cancellation for its lifetime and back
// to what it was. pthread_barrier_wait is no cancellation point, so a pending
// request acts only when asynchronous cancellation is restored.
class AsyncCancellationDeferred {
 public:
  AsyncCancellationDeferred() { pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &previous_); }
  ~AsyncCancellationDeferred() {
    if (previous_ != PTHREAD_CANCEL_DEFERRED) pthread_setcanceltype(previous_, nullptr);
  }
  AsyncCancellationDeferred(const AsyncCancellationDeferred&) = delete;
  AsyncCancellationDeferred& operator=(const AsyncCancellationDeferred&) = delete;

 private:
  int previous_ = PTHREAD_CANCEL_DEFERRED;
};

}  // namespace

int wait_on_object(BarrierObject* object, const BarrierConstants& constants) {
  const FutexScope scope = (constants.flags & kFlagProcessShared) != 0
                               ? FutexScope::kShared
                               : FutexScope::kPrivate;
  uint32_t round;
  {
    // An asynchronous cancellation inside the window would leave it open for
    // good, and every later munmap in the process would wait for it. Defer it
    // until the window is closed (destructors run in reverse order); the
    // window is bounded, and the sleep below is cancellable as before.
    AsyncCancellationDeferred no_cancellation_inside_the_window;
    ExitWindow window;  // rule 1: opened before the arrival
    const uint64_t before = arrive(object, constants);
    round = round_of(before);
    if (arrivals_of(before) + 1 == constants.count) {
      // Last arriver: release the round and read the sleepers bit in one
      // step, so no sleeper can set it unseen. release: publishes the round
      // (every arrival's writes, acquired above) to pollers' acquire loads.
      const uint64_t released = object->state.exchange(
          state_for_round(next_round(round)), std::memory_order_acq_rel);
      if ((released & kSleepersBit) != 0) {
        // Still inside the window: the page stays mapped in this process.
        futex_wake_all_bitset(round_futex_word(object), wake_bit_for(round), scope);
      }
      return PTHREAD_BARRIER_SERIAL_THREAD;
    }
    if (!arm_sleep_unless_over(object, constants, round)) return 0;
  }
  sleep_until_round_over(object, constants, round, scope);
  return 0;
}

}  // namespace bshim
