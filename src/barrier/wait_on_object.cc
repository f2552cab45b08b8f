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
// processes would never wake: glibc 2.36 ignores that EFAULT, and its pshared
// destroy can then hang for ever; doc/race-lab.md has the measurement).
//
// Robust barriers (robust_membership.h) add one way for a round to end: a
// sleeper that finds a participant process dead sets the broken bit in an
// open round and wakes everyone, and every waiter of that round, and every
// later one, returns EOWNERDEAD. The completer releases with a CAS that fails
// on the bit, so each round either completes or breaks, never both.
#include <pthread.h>
#include <sched.h>

#include <ctime>

#include "barrier/arrive.h"
#include "robust/break_round.h"
#include "robust/broken_generations.h"
#include "barrier/generation.h"
#include "os/cancel_type.h"
#include "os/cpu_relax.h"
#include "os/futex.h"
#include "os/mapping_kind.h"
#include "os/read_protected_memory.h"
#include "os/read_without_fault.h"
#include "robust/robust_membership.h"
#include "barrier/stuck_wait_watch.h"
#include "barrier/tool_annotations.h"
#include "unmap_lock/unmap_lock.h"
#include "barrier/wait_around.h"
#include "barrier/wait_paths.h"
#include "barrier/wait_policy.h"

namespace bshim {
namespace {

// This thread's adaptive spin budget for object-path waits (wait_policy.h);
// 0 until its first adjustment.
__thread uint32_t t_spin_budget __attribute__((tls_model("initial-exec")));
// Likewise the yield budget, stored plus 1 (0: not adjusted yet).
__thread uint32_t t_yield_budget __attribute__((tls_model("initial-exec")));
// And its record of slow rounds in a row (wait_policy.h), of whichever
// barriers this thread waited at: rounds of different barriers rarely
// follow one another, so a thread that alternates between barriers rarely
// skips a spin.
__thread SlowRounds t_slow_rounds __attribute__((tls_model("initial-exec"))) = {kNeverRound, 0};

// First and longest interval between a sleeper's re-checks (rule 2). Short
// enough that a sleeper stranded on reused memory notices within a second,
// long enough that a thread blocked for hours costs nothing measurable. The
// first is longer than common rounds: each re-check is a wake-up and a read
// through the kernel, and with 1 ms here a round about 1 ms long (one member
// late) cost the sleepers one or two of them per round, 2.5 times glibc's
// CPU per round (issue 16; doc/performance.md).
constexpr uint64_t kFirstRecheckNs = 100'000'000;      // 100 ms
constexpr uint64_t kLongestRecheckNs = 1'000'000'000;  // 1 s

// Where a waiter's round stands. kGone: the memory is no longer mapped here.
enum class Round { kOpen, kReleased, kBroken, kGone };

// From a state word, generation and check read together. Another
// generation means another barrier lives in these bytes now (destroyed and
// re-initialised, or freed and reused): this waiter's round is over, broken
// only if init made it the successor of a broken barrier. The same
// generation: a round that moved on was released for this waiter, even if a
// later round broke; a robust round broken before it completed stays broken
// even after destroy (destroy keeps the state word); a check that no longer
// matches means destroyed or overwritten: over.
Round classify(const BarrierConstants& constants, uint32_t round, uint64_t state,
               uint32_t generation, uint64_t check) {
  const bool robust = is_robust(constants);
  if (generation != constants.generation) {
    return robust && generation == successor_after_break(constants.generation)
               ? Round::kBroken
               : Round::kReleased;
  }
  if (round_of(state) != round) return Round::kReleased;
  if (robust && (state & kBrokenBit) != 0) return Round::kBroken;
  if (check != expected_check(constants)) return Round::kReleased;
  return Round::kOpen;
}

// The same, from the object itself: only inside an exit window.
Round classify_in_window(const BarrierObject* object, const BarrierConstants& constants,
                         uint32_t round) {
  // acquire: a released round carries the writes of every participant,
  // published by the completer's release. relaxed (generation, check): a
  // hint to stop polling; a stale value only means one more poll.
  const uint64_t state = object->state.load(std::memory_order_acquire);
  return classify(constants, round, state, object->generation.load(std::memory_order_relaxed),
                  object->check.load(std::memory_order_relaxed));
}

// Copies the object with `read` (a FaultFreeRead reader: through the
// kernel, so that a vanished page is an answer, not SIGSEGV) and classifies
// the copy: kGone if the page is not mapped. False when `read` could not
// read at all (kUnavailable).
bool classify_copy(FaultFreeRead (*read)(const void*, void*, size_t), const BarrierObject* object,
                   const BarrierConstants& constants, uint32_t round, Round* seen) {
  uint64_t copy[sizeof(BarrierObject) / sizeof(uint64_t)];
  switch (read(object, copy, sizeof(copy))) {
    case FaultFreeRead::kUnmapped:
      *seen = Round::kGone;
      return true;
    case FaultFreeRead::kCopied:
      // copy[0] is the state word, the high half of copy[2] the generation,
      // copy[3] the check (contract/barrier_layout.h).
      *seen = classify(constants, round, copy[0], static_cast<uint32_t>(copy[2] >> 32), copy[3]);
      return true;
    case FaultFreeRead::kUnavailable:
      break;
  }
  return false;
}

// As classify_in_window, but through the kernel (process_vm_readv), so an
// unmapped page answers "gone" instead of faulting (rule 2).
Round classify_without_fault(const BarrierObject* object, const BarrierConstants& constants,
                             uint32_t round, FutexScope scope) {
  Round seen;
  if (classify_copy(read_without_fault, object, constants, round, &seen)) return seen;
  // No process_vm_readv: compare the futex word alone, with a deadline
  // already past (ETIMEDOUT = still equal). It cannot see the broken bit
  // (low half); breakers wake every sleeper, and without the bit a woken
  // sleeper just sleeps again until the next membership check finds the
  // death once more.
  const struct timespec past = {0, 0};
  return futex_wait_bitset_until(round_futex_word(object), sleeping_futex_value(round),
                                 wake_bit_for(round), scope, past) == ETIMEDOUT
             ? Round::kOpen
             : Round::kReleased;
}

// As classify_without_fault, for memory that this process may not read
// (PROT_NONE) but that is still mapped: through /proc/self/mem. Is the protected page still this
// waiter's barrier, in an open round? A round may complete and its memory be
// protected after it, or released and another protected mapping take its
// address: those rounds are over (kReleased, or kGone if the page went
// meanwhile). False when the page cannot be read so (/proc/self/mem not
// readable): the caller then answers as for released memory, as it did
// before it could tell, rather than nap on a page it cannot see.
bool classify_protected(const BarrierObject* object, const BarrierConstants& constants,
                        uint32_t round, Round* seen) {
  return classify_copy(read_protected_memory, object, constants, round, seen);
}

// How the bounded phase inside the exit window ended.
enum class Armed { kReleasedWhileSpinning, kReleasedWhileYielding, kBroken, kMustSleep };

Armed from_round(Round round, Armed released_as) {
  return round == Round::kBroken ? Armed::kBroken : released_as;
}

// A round late for this thread's spin (wait_policy.h, late rounds): when
// the spin gave up (timed only if it could spin), the budget it spun in vain
// (0: it skipped the spin), and whether the wait counts for the record of
// slow rounds in a row (only if timed: end_late_round answers 0 otherwise,
// which the record would take for a short sleep).
struct LateRound {
  bool timed = false;
  uint64_t gave_up_ns = 0;
  uint32_t spun_budget = 0;
  bool for_slow_rounds = false;
};

// Once late round `round` of `object` has completed: how long it took
// since the spin gave up (0 if not timed), with this thread's budget set
// for it, unless this thread slept in the round before (wait_policy.h,
// LastSleep).
uint64_t end_late_round(const LateRound& late, const BarrierObject* object, uint32_t round) {
  if (!late.timed) return 0;
  const uint64_t waited_ns = monotonic_ns() - late.gave_up_ns;
  if (!slept_in_round_before(object, round)) {
    t_spin_budget = spin_budget_after_late_round(t_spin_budget, late.spun_budget, waited_ns);
  }
  return waited_ns;
}

// Inside the exit window: spin, yield, then set the sleepers bit. Returns
// how the round ended if it did first, kMustSleep if the bit is set and the
// caller must sleep; then *late says what to do once it is over.
Armed arm_sleep_unless_over(BarrierObject* object, const BarrierConstants& constants,
                            uint32_t round, LateRound* late) {
  const WaitPolicy& policy = wait_policy();
  const UnmapLock& lock = process_unmap_lock();
  const bool may_spin = (constants.flags & kFlagSpin) != 0;
  const bool skipped_spin = may_spin && skips_spin(t_slow_rounds, round);
  if (may_spin && !skipped_spin) {
    // The adaptive budget is per thread here: the object may be shared with
    // other processes, and waiters must not write it after arriving.
    const uint32_t budget =
        t_spin_budget != 0 ? t_spin_budget : policy.initial_spin_iterations;
    late->spun_budget = budget;
    uint32_t spun = 0;
    Round seen = Round::kOpen;
    for (; spun < budget && !lock.unmapper_waiting(); ++spun) {
      seen = classify_in_window(object, constants, round);
      if (seen != Round::kOpen) break;
      cpu_relax();
    }
    t_spin_budget = next_spin_budget(budget, spun, seen != Round::kOpen);
    if (seen != Round::kOpen) {
      t_slow_rounds = after_completed_spin(t_slow_rounds);
      return from_round(seen, Armed::kReleasedWhileSpinning);
    }
  }
  const uint32_t yield_budget =
      t_yield_budget != 0 ? t_yield_budget - 1 : policy.yield_iterations;
  const uint32_t yields = yields_before_sleeping(may_spin, t_spin_budget, yield_budget);
  late->timed = may_spin;
  late->gave_up_ns = may_spin ? monotonic_ns() : 0;
  late->for_slow_rounds = may_spin && times_its_sleep(t_spin_budget, skipped_spin);
  const bool realtime = yields != 0 && calling_thread_is_realtime();
  const uint32_t tries = yields_to_try(yields);
  // A check before each yield and one after the last (wait_policy.h,
  // next_yield_budget: the probe yield).
  for (uint32_t i = 0; tries != 0 && !lock.unmapper_waiting(); ++i) {
    const Round seen = classify_in_window(object, constants, round);
    if (seen != Round::kOpen) {
      t_yield_budget = next_yield_budget(yield_budget, true) + 1;
      end_late_round(*late, object, round);
      return from_round(seen, Armed::kReleasedWhileYielding);
    }
    if (i == tries || !yield_may_help(realtime)) break;
  }
  if (tries != 0) t_yield_budget = next_yield_budget(yield_budget, false) + 1;
  // acquire: see classify_in_window.
  uint64_t state = object->state.load(std::memory_order_acquire);
  for (;;) {
    const Round seen =
        classify(constants, round, state, object->generation.load(std::memory_order_relaxed),
                 object->check.load(std::memory_order_relaxed));
    if (seen != Round::kOpen) {
      end_late_round(*late, object, round);
      return from_round(seen, Armed::kReleasedWhileYielding);
    }
    if ((state & kSleepersBit) != 0) return Armed::kMustSleep;  // another sleeper set it
    // acquire: a failed CAS may have seen the release and must carry its
    // writes. The completer's exchange or CAS sees the bit through the
    // modification order of `state` alone, so success needs nothing stronger.
    if (object->state.compare_exchange_weak(state, state | kSleepersBit,
                                            std::memory_order_acquire)) {
      return Armed::kMustSleep;
    }
  }
}

// Asynchronous cancellation is deferred inside every exit window
// (AsyncCancellationDeferred, os/cancel_type.h). An asynchronous cancellation
// inside a window would keep the window open through the thread's cleanup
// handlers (only the thread's exit closes it), so a cleanup handler that
// waits for another thread's munmap of the barrier would deadlock with it
// (review: 5/5 runs hung without this deferral); an untracked window could
// even stay counted for good. pthread_barrier_wait is no cancellation point,
// so a pending request acts only when asynchronous cancellation is
// restored, right after the window.
// (A cancellation point in a signal handler that interrupts the window still
// acts, as with glibc. The unwinding runs no code of this library: a cleanup
// registered per window would dangle once a C++ exception or setcontext left
// the frame, and a destructor is not reached from an interrupted
// instruction. The window closes when the thread exits: the records' exit
// hook. pthread_exit itself is wrapped and closes it first.)

// A sleeper of a robust barrier found a participant dead: break the round
// unless it completed first, and wake every sleeper of the barrier. A round
// whose arrivals are all in has a completer between its arrival and its
// release: unless `full_round_seen_dead` says this is the second interval in
// a row that finds it so, give it one more interval (it may be alive and only
// slow), and set *full_round_seen_dead.
Round break_round(BarrierObject* object, const BarrierConstants& constants, uint32_t round,
                  FutexScope scope, TrackedWait* wait, bool* full_round_seen_dead) {
  AsyncCancellationDeferred no_cancellation_inside_the_window;
  // Rule 1 again: this sleeper is about to touch the object in user space.
  ExitWindow window(wait);
  // seq_cst: the window's bit is seen by any unmapper whose scan comes after
  // the kernel read below in the single total order (the window opens
  // relaxed; arrivals order it by happens-before, but this one opens after
  // the arrival); pairs with begin_unmap's fence.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // The round was open a moment ago; if it still is, nobody may release the
  // memory before this thread returns. If a sibling already returned from a
  // completed or broken round, the kernel read says so without a fault.
  const Round seen = classify_without_fault(object, constants, round, scope);
  if (seen != Round::kOpen) return seen;
  // acquire: if the round completed meanwhile, its writes come with it.
  const uint64_t state = object->state.load(std::memory_order_acquire);
  if (round_of(state) == round && arrivals_of(state) >= constants.count &&
      !*full_round_seen_dead) {
    *full_round_seen_dead = true;
    return Round::kOpen;
  }
  if (!break_open_round(object, round)) return Round::kReleased;
  wake_everyone_after_break(object, scope);
  return Round::kBroken;
}

// Rule 2: sleeps until the round is released (0) or broken (EOWNERDEAD).
int sleep_until_round_over(BarrierObject* object, const BarrierConstants& constants,
                           uint32_t round, FutexScope scope, WaitRecord* record) {
  const uint32_t* futex_word = round_futex_word(object);
  StuckWaitWatch watch(*record, constants, round, &object->state);
  const bool robust = is_robust(constants);
  const uint64_t longest =
      robust && robust_config().check_interval_ns < kLongestRecheckNs
          ? robust_config().check_interval_ns
          : kLongestRecheckNs;
  // A robust bound below the first interval is the interval from the start.
  uint64_t recheck_ns = kFirstRecheckNs < longest ? kFirstRecheckNs : longest;
  auto next_deadline = [&] {
    uint64_t sleep_ns = recheck_ns;
    if (watch.active() && watch.next_sleep_ns() < sleep_ns) sleep_ns = watch.next_sleep_ns();
    return deadline_after(sleep_ns);
  };
  struct timespec deadline = next_deadline();
  Round seen = Round::kOpen;
  bool full_round_seen_dead = false;
  for (;;) {
    const int result = futex_wait_bitset_until(futex_word, sleeping_futex_value(round),
                                               wake_bit_for(round), scope, deadline);
    if (result == EINTR) continue;  // a handler ran: same deadline
    if (result == EFAULT && in_unreadable_shared_mapping(object) &&
        classify_protected(object, constants, round, &seen)) {
      // The page is still mapped, but access to it was taken away (mprotect
      // PROT_NONE). Either a thread of this process protected the barrier
      // while its round is open, or the round completed and its memory was
      // protected, or released and another protected mapping took its place:
      // only the bytes there tell (a page protected for good would otherwise
      // hold this sleeper for ever).
      if (seen != Round::kOpen) break;
      // Still this round, which the kernel cannot sleep on now: nap until
      // the deadline, then look again. A handler (EINTR) keeps the deadline.
      // The nap is a futex wait on a word of our own that nobody wakes: a
      // raw system call, so no cancellation point inside the wait
      // (clock_nanosleep is one), and errno stays as it was.
      const uint32_t nap_word = 0;
      if (futex_wait_bitset_until(&nap_word, 0, FUTEX_BITSET_MATCH_ANY, FutexScope::kPrivate,
                                  deadline) == ETIMEDOUT) {
        // The watchdog's look, as after a timed sleep (it reads the state
        // through the kernel, so the protection costs it only the arrivals).
        // No membership check: a break writes the object, which this
        // process cannot while it is protected.
        watch.on_wake_up();
        recheck_ns = recheck_ns < longest / 2 ? recheck_ns * 2 : longest;
        deadline = next_deadline();
      }
      continue;
    }
    if (result != 0 && result != ETIMEDOUT) {
      // EAGAIN (the word changed: only the release changes it once the
      // sleepers bit is set) or EFAULT (unmapped): over. Broken, or released?
      seen = robust ? classify_without_fault(object, constants, round, scope)
                    : Round::kReleased;
      if (seen == Round::kOpen) seen = Round::kReleased;
      break;
    }
    // A wake of a plain barrier: sleep again at once. If the round was
    // released, the word moved on and the futex answers EAGAIN (above)
    // without sleeping: the same answer as a read through the kernel, one
    // cheaper system call instead of process_vm_readv (about 1 us per wake).
    // A late wake of an earlier round finds the word unchanged and sleeps
    // on; memory reused with the same word is for the timed re-checks below.
    // A robust sleeper reads: a break sets a bit outside the futex word.
    // So does one under Valgrind (tool_annotations.h).
    if (result == 0 && !robust && !futex_waits_count_as_reads()) continue;
    seen = classify_without_fault(object, constants, round, scope);
    // Unreadable, not gone: the futex answers EFAULT at once, and that naps.
    if (seen == Round::kGone && in_unreadable_shared_mapping(object)) continue;
    if (seen != Round::kOpen) break;
    if (result == ETIMEDOUT) {
      watch.on_wake_up();
      if (robust && membership_lost_a_member(constants.robust_semaphore)) {
        seen = break_round(object, constants, round, scope, record->tracked,
                           &full_round_seen_dead);
        if (seen != Round::kOpen) break;
      }
      recheck_ns = recheck_ns < longest / 2 ? recheck_ns * 2 : longest;
      deadline = next_deadline();
    }
  }
  // The kernel's wake and wait paths are full barriers, but say what we rely
  // on: writes made before the completer's release are visible after this.
  std::atomic_thread_fence(std::memory_order_acquire);
  // Memory gone from this process: a sibling of this process returned from
  // this round and released it. Completed, or broken? Had it broken, that
  // sibling recorded so before returning (robust/broken_generations.h).
  if (seen == Round::kGone) {
    seen = robust && generation_broke_here(constants.generation) ? Round::kBroken
                                                                 : Round::kReleased;
  }
  if (seen == Round::kBroken) {
    record->outcome = WaitOutcome::kBroken;
    return EOWNERDEAD;
  }
  watch.on_round_over();
  record->outcome = WaitOutcome::kSlept;
  return 0;
}

// The last arriver releases the round, reading the sleepers bit in the same
// step so no sleeper can set it unseen, and returns the state it replaced.
// release: publishes the round (every arrival's writes, acquired by the
// arrival's fetch_add) to pollers' acquire loads. A robust barrier releases
// with a CAS that fails once the broken bit is set; returns false then.
bool release_round(BarrierObject* object, const BarrierConstants& constants, uint64_t after_arrival,
                   uint32_t round, uint64_t* released) {
  const uint64_t next = state_for_round(next_round(round));
  if (!is_robust(constants)) {
    *released = object->state.exchange(next, std::memory_order_acq_rel);
    return true;
  }
  uint64_t state = after_arrival;
  for (;;) {
    if ((state & kBrokenBit) != 0) return false;
    // acq_rel as the exchange; a failure (a sleepers bit, the broken bit)
    // re-reads with acquire and decides again.
    if (object->state.compare_exchange_weak(state, next, std::memory_order_acq_rel,
                                            std::memory_order_acquire)) {
      *released = state;
      return true;
    }
  }
}

// The object path, inlined into both of its entry points below.
__attribute__((always_inline)) inline int object_wait(BarrierObject* object,
                                                      const BarrierConstants& constants,
                                                      WaitRecord* record) {
  const FutexScope scope = (constants.flags & kFlagProcessShared) != 0
                               ? FutexScope::kShared
                               : FutexScope::kPrivate;
  const bool robust = is_robust(constants);
  // Before the window: a system call on this thread's first wait only.
  if (robust) join_membership(constants.robust_semaphore);
  uint32_t round;
  LateRound late;
  {
    // An asynchronous cancellation inside the window could leave it open for
    // good, and every later munmap in the process would wait for it. Defer it
    // until the window is closed (destructors run in reverse order); the
    // window is bounded, and the sleep below is cancellable as before.
    AsyncCancellationDeferred no_cancellation_inside_the_window;
    ExitWindow window(record->tracked);  // rule 1: opened before the arrival
    // A broken barrier answers at once, without counting an arrival.
    // acquire: the broken bit's CAS published nothing we need, but a later
    // completed round would (it cannot come: the bit is sticky).
    if (robust && (object->state.load(std::memory_order_acquire) & kBrokenBit) != 0) {
      record->outcome = WaitOutcome::kBroken;
      return EOWNERDEAD;
    }
    const uint64_t before = arrive(object, constants, record->tracked);
    if (robust && (before & kBrokenBit) != 0) {
      record->outcome = WaitOutcome::kBroken;
      return EOWNERDEAD;
    }
    round = round_of(before);
    record->tracked->arrived_in(round);
    record->round = round;
    record->arrival = arrivals_of(before) + 1;
    if (arrivals_of(before) + 1 == constants.count) {
      uint64_t released;
      if (!release_round(object, constants, before + 1, round, &released)) {
        record->outcome = WaitOutcome::kBroken;
        return EOWNERDEAD;
      }
      if ((released & kSleepersBit) != 0) {
        // Still inside the window: the page stays mapped in this process.
        futex_wake_all_bitset(round_futex_word(object), wake_bit_for(round), scope);
      }
      record->outcome = WaitOutcome::kCompletedRound;
      return PTHREAD_BARRIER_SERIAL_THREAD;
    }
    // Phase 0 (wait_policy.h), inline: most rounds of a balanced program
    // complete here. Inside the window, and cut short for an unmapper like
    // the spin of phase 1.
    if ((constants.flags & kFlagSpin) != 0) {
      const UnmapLock& lock = process_unmap_lock();
      // Worked out before polling, off the round's critical path (as on the
      // wake slot).
      const uint32_t budget_if_quick = spin_budget_after_quick_round(t_spin_budget);
      for (uint32_t polls = wait_policy().quick_polls; polls != 0 && !lock.unmapper_waiting();
           --polls) {
        const Round seen = classify_in_window(object, constants, round);
        if (seen == Round::kBroken) {
          record->outcome = WaitOutcome::kBroken;
          return EOWNERDEAD;
        }
        if (seen != Round::kOpen) {
          // Stored only while it grows back.
          if (__builtin_expect(budget_if_quick != t_spin_budget, 0)) t_spin_budget = budget_if_quick;
          record->outcome = WaitOutcome::kSpun;
          return 0;
        }
        cpu_relax();
      }
    }
    switch (arm_sleep_unless_over(object, constants, round, &late)) {
      case Armed::kReleasedWhileSpinning:
        record->outcome = WaitOutcome::kSpun;
        return 0;
      case Armed::kReleasedWhileYielding:
        record->outcome = WaitOutcome::kYielded;
        return 0;
      case Armed::kBroken:
        record->outcome = WaitOutcome::kBroken;
        return EOWNERDEAD;
      case Armed::kMustSleep:
        break;
    }
  }
  const int result = sleep_until_round_over(object, constants, round, scope, record);
  // At the minimum budget nobody yields: this is the sleep's length.
  const uint64_t waited_ns = end_late_round(late, object, round);
  if (late.for_slow_rounds) t_slow_rounds = after_timed_sleep(t_slow_rounds, round, waited_ns);
  t_last_sleep = {object, round};
  return result;
}

}  // namespace

uint32_t object_path_spin_budget() { return t_spin_budget; }
void set_object_path_spin_budget(uint32_t budget) { t_spin_budget = budget; }

int wait_on_object(BarrierObject* object, const BarrierConstants& constants,
                   WaitRecord* record) {
  return object_wait(object, constants, record);
}

int plain_wait_on_object(pthread_barrier_t* barrier, const BarrierConstants& constants) {
  return plain_wait(barrier, constants, as_object(barrier)->state,
                    [=, &constants](WaitRecord* record)
                                            __attribute__((always_inline)) {
                                              return object_wait(as_object(barrier), constants,
                                                                 record);
                                            });
}

}  // namespace bshim
