#include "unmap_lock.h"

#include <sched.h>

#include "cpu_relax.h"
#include "futex.h"

namespace bshim {
namespace {

constinit UnmapLock g_unmap_lock;

// This thread's own holds, for signal handlers that nest one side inside the
// other (see the header). initial-exec: a plain %fs-relative access, no
// allocation and no call into the dynamic loader, even on first use.
__thread uint32_t t_exit_depth __attribute__((tls_model("initial-exec")));
__thread uint32_t t_unmap_depth __attribute__((tls_model("initial-exec")));

// How long a side polls before it sleeps. Exit windows and unmaps are short,
// so a brief spin avoids a futex round trip in the common contended case.
constexpr int kLockSpinIterations = 200;

// Waits until *word == 0. `sleeping` counts the threads that may be asleep on
// word; the thread that lowers word to 0 wakes them if it is nonzero.
void wait_for_zero(const std::atomic<uint32_t>& word,
                   std::atomic<uint32_t>& sleeping) {
  for (int i = 0; i < kLockSpinIterations; ++i) {
    // acquire: what the last holder did before releasing happens-before us.
    if (word.load(std::memory_order_acquire) == 0) return;
    cpu_relax();
  }
  for (;;) {
    // seq_cst increment, then seq_cst load of word: pairs with the releaser's
    // seq_cst decrement-then-load of `sleeping` (Dekker), so either we see 0
    // or the releaser sees us and wakes us.
    sleeping.fetch_add(1, std::memory_order_seq_cst);
    const uint32_t seen = word.load(std::memory_order_seq_cst);
    if (seen != 0) {
      // Sleeps only while the word still holds `seen`; any change re-checks.
      futex_wait(reinterpret_cast<const uint32_t*>(&word), seen,
                 FutexScope::kPrivate);
    }
    sleeping.fetch_sub(1, std::memory_order_relaxed);
    if (word.load(std::memory_order_acquire) == 0) return;
  }
}

// Lowers word by one; wakes the sleepers of the other side if it reached 0.
void release_one(std::atomic<uint32_t>& word, std::atomic<uint32_t>& sleeping) {
  // seq_cst: the decrement must be ordered before the load of `sleeping`
  // (Dekker with wait_for_zero), and release publishes our critical section.
  if (word.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
      sleeping.load(std::memory_order_seq_cst) != 0) {
    futex_wake_all(reinterpret_cast<const uint32_t*>(&word),
                   FutexScope::kPrivate);
  }
}

}  // namespace

UnmapLock& process_unmap_lock() { return g_unmap_lock; }

void UnmapLock::enter_exit_window() {
  ++t_exit_depth;  // before the shared count: see the header on handlers
  for (;;) {
    // seq_cst: announce before looking at unmappers_ (Dekker with begin_unmap).
    exiters_.fetch_add(1, std::memory_order_seq_cst);
    if (t_unmap_depth != 0 ||
        unmappers_.load(std::memory_order_seq_cst) == 0) {
      return;
    }
    // An unmapper is active or waiting for us to drain: step aside entirely,
    // so it never waits for a window opened after it, then try again.
    release_one(exiters_, sleeping_unmappers_);
    wait_for_no_other_unmappers();
  }
}

void UnmapLock::leave_exit_window() {
  release_one(exiters_, sleeping_unmappers_);
  --t_exit_depth;
}

void UnmapLock::begin_unmap() {
  ++t_unmap_depth;
  // seq_cst: announce before reading exiters_ (Dekker with enter_exit_window):
  // every exiter either sees us and backs off, or is counted and waited for.
  unmappers_.fetch_add(1, std::memory_order_seq_cst);
  if (t_exit_depth == 0) wait_for_no_exiters();
}

void UnmapLock::end_unmap() {
  release_one(unmappers_, sleeping_exiters_);
  --t_unmap_depth;
}

void UnmapLock::wait_for_no_other_unmappers() {
  wait_for_zero(unmappers_, sleeping_exiters_);
}

void UnmapLock::wait_for_no_exiters() {
  wait_for_zero(exiters_, sleeping_unmappers_);
}

void UnmapLock::reset_in_child_after_fork() {
  // The child is single-threaded here: plain relaxed stores are enough.
  exiters_.store(t_exit_depth, std::memory_order_relaxed);
  unmappers_.store(t_unmap_depth, std::memory_order_relaxed);
  sleeping_unmappers_.store(0, std::memory_order_relaxed);
  sleeping_exiters_.store(0, std::memory_order_relaxed);
}

}  // namespace bshim
