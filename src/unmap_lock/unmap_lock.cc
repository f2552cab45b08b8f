#include "unmap_lock/unmap_lock.h"

#include "os/cpu_relax.h"
#include "contract/diagnostic_hooks.h"
#include "os/futex.h"
#include "threads/discarded_frames.h"

namespace bshim {
namespace {

constinit UnmapLock g_unmap_lock;

// This thread's own holds, for signal handlers that nest one side inside the
// other (see the header). initial-exec: a plain %fs-relative access, no
// allocation and no call into the dynamic loader, even on first use.
__thread uint32_t t_exit_depth __attribute__((tls_model("initial-exec")));
__thread uint32_t t_unmap_depth __attribute__((tls_model("initial-exec")));
// Where each of this thread's holds lives on its stack, innermost last, for
// abandon_holds_below(); entries beyond kTrackedHolds are not kept.
__thread uintptr_t t_exit_holders[UnmapLock::kTrackedHolds]
    __attribute__((tls_model("initial-exec")));
__thread uintptr_t t_unmap_holders[UnmapLock::kTrackedHolds]
    __attribute__((tls_model("initial-exec")));

// Records (or, with null, forgets) the holder of this thread's hold number
// `index`. A record exists only while the hold's shared count is raised:
// set after the increment, cleared before the decrement, each separated from
// it by a signal fence (only this thread's handlers read the records).
void track_holder(uintptr_t* holders, uint32_t index, const void* holder) {
  std::atomic_signal_fence(std::memory_order_seq_cst);
  if (index < UnmapLock::kTrackedHolds) holders[index] = reinterpret_cast<uintptr_t>(holder);
  std::atomic_signal_fence(std::memory_order_seq_cst);
}

// True if this thread's innermost hold on a side is recorded and discarded.
bool innermost_hold_discarded(const uintptr_t* holders, uint32_t depth,
                              const DiscardedFrames& frames) {
  return depth != 0 && depth <= UnmapLock::kTrackedHolds && holders[depth - 1] != 0 &&
         frames.discards(holders[depth - 1]);
}

// How long an unmapper polls before it sleeps: exit windows are short, so a
// brief spin avoids a futex round trip in the common contended case.
constexpr int kUnmapperSpinIterations = 200;
// How long an exiter defers to a waiting unmapper before it opens its window
// anyway. Bounded: deferring is for fairness, never needed for safety.
constexpr int kExiterDeferIterations = 100;

// Lowers `count` by one, never below zero (after fork the forking thread may
// release a hold the child's reset already dropped). Returns the old value.
// `order` is the ordering of the successful decrement.
uint32_t saturating_decrement(std::atomic<uint32_t>& count, std::memory_order order) {
  uint32_t value = count.load(std::memory_order_relaxed);
  while (value != 0 &&
         !count.compare_exchange_weak(value, value - 1, order, std::memory_order_relaxed)) {
  }
  return value;
}

}  // namespace

UnmapLock& process_unmap_lock() { return g_unmap_lock; }

void UnmapLock::enter_exit_window(const void* holder) {
  // Defer briefly to an unmapper that is waiting for windows to drain, unless
  // this thread holds either side already (then it would defer to itself).
  if (t_exit_depth == 0 && t_unmap_depth == 0) {
    for (int i = 0; i < kExiterDeferIterations && unmapper_waiting(); ++i) cpu_relax();
  }
  ++t_exit_depth;  // before the shared count: see the header on handlers
  // relaxed: the unmappers that must see this window are ordered after it by
  // happens-before (the window opens before the arrival's release RMW, which
  // every later return of that round acquires); see the header.
  exiters_.fetch_add(1, std::memory_order_relaxed);
  track_holder(t_exit_holders, t_exit_depth - 1, holder);
}

void UnmapLock::leave_exit_window() {
  track_holder(t_exit_holders, t_exit_depth - 1, nullptr);
  // seq_cst: release hands everything read inside the window to the unmapper
  // that sees the count drop; sequential consistency orders the decrement
  // before the load of sleeping_unmappers_ (Dekker with wait_for_no_exiters).
  if (saturating_decrement(exiters_, std::memory_order_seq_cst) == 1 &&
      sleeping_unmappers_.load(std::memory_order_seq_cst) != 0) {
    futex_wake_all(reinterpret_cast<const uint32_t*>(&exiters_), FutexScope::kPrivate);
  }
  --t_exit_depth;
}

void UnmapLock::begin_unmap(const void* holder) {
  ++t_unmap_depth;
  // relaxed: only the hint that makes exiters cut their spin and defer.
  unmappers_.fetch_add(1, std::memory_order_relaxed);
  track_holder(t_unmap_holders, t_unmap_depth - 1, holder);
  // seq_cst: pairs with the fence of a window opened after its arrival
  // (a robust sleeper breaking a round, wait_on_object.cc): one of the two
  // sees the other. Arrival windows need no fence (see the header).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (!diagnostics_config().stats) {
    if (t_exit_depth == 0) wait_for_no_exiters();
    return;
  }
  // BARRIER_SHIM_STATS: the same wait, timed when there is one. acquire: as
  // in wait_for_no_exiters, pairs with the release of the last window to
  // close, so seeing 0 here is enough to go ahead with the unmap.
  if (t_exit_depth != 0 || exiters_.load(std::memory_order_acquire) == 0) {
    stats_record_unmap(false, 0);
    return;
  }
  const uint64_t started_ns = monotonic_ns();
  wait_for_no_exiters();
  stats_record_unmap(true, monotonic_ns() - started_ns);
}

void UnmapLock::end_unmap() {
  track_holder(t_unmap_holders, t_unmap_depth - 1, nullptr);
  saturating_decrement(unmappers_, std::memory_order_relaxed);
  --t_unmap_depth;
}

void UnmapLock::wait_for_no_exiters() {
  for (int i = 0; i < kUnmapperSpinIterations; ++i) {
    // acquire: pairs with the release of the last window to close, so its
    // reads of the barrier happen-before our unmap.
    if (exiters_.load(std::memory_order_acquire) == 0) return;
    cpu_relax();
  }
  for (;;) {
    // seq_cst increment, then seq_cst load: pairs with leave_exit_window's
    // seq_cst decrement-then-load (Dekker), so either we see 0 or the exiter
    // that makes it 0 sees us and wakes us.
    sleeping_unmappers_.fetch_add(1, std::memory_order_seq_cst);
    const uint32_t seen = exiters_.load(std::memory_order_seq_cst);
    if (seen != 0) {
      // Sleeps only while the count still equals `seen`; any change re-checks.
      futex_wait(reinterpret_cast<const uint32_t*>(&exiters_), seen, FutexScope::kPrivate);
    }
    saturating_decrement(sleeping_unmappers_, std::memory_order_relaxed);
    if (exiters_.load(std::memory_order_acquire) == 0) return;
  }
}

void UnmapLock::abandon_holds_below(uintptr_t stack_pointer, uintptr_t altstack_begin,
                                    uintptr_t altstack_end) {
  const DiscardedFrames frames{stack_pointer, altstack_begin, altstack_end};
  // Innermost first, as their destructors would have run. Only this thread's
  // own holds: the counts stay exact for everyone else.
  while (innermost_hold_discarded(t_exit_holders, t_exit_depth, frames)) {
    leave_exit_window();
  }
  while (innermost_hold_discarded(t_unmap_holders, t_unmap_depth, frames)) {
    end_unmap();
  }
}

void UnmapLock::reset_in_child_after_fork() {
  // Single-threaded here. The forking thread's own open window, if fork ran
  // in a handler inside one, is skipped by its own unmaps (t_exit_depth), and
  // its later releases saturate at 0.
  exiters_.store(0, std::memory_order_relaxed);
  unmappers_.store(0, std::memory_order_relaxed);
  sleeping_unmappers_.store(0, std::memory_order_relaxed);
}

}  // namespace bshim
