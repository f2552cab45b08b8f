// Thin wrappers over the futex(2) system call.
//
// Every call goes straight to the kernel through syscall(2): no allocation,
// no locks, async-signal-safe. Each wrapper returns 0 or a positive errno
// value and never touches the caller's errno, so the barrier can call them
// inside interposed functions that must leave errno as they found it.
//
// References: futex(2) man page; Linux kernel/futex/waitwake.c, whose
// futex_wait() re-queues itself after a spurious wake-up and returns 0 only
// when a waker dequeued it. The bitset variants below rely on that.
#pragma once

#include <cerrno>
#include <cstdint>
#include <ctime>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace bshim {

// Which futex key the kernel uses: process-local (hashed by mm and address)
// or shared (hashed by the backing page, so other processes' views match).
enum class FutexScope { kPrivate, kShared };

namespace futex_detail {

inline int op_with_scope(int op, FutexScope scope) {
  return scope == FutexScope::kPrivate ? (op | FUTEX_PRIVATE_FLAG) : op;
}

// syscall() reports failure through errno; translate to a return value and
// restore errno so callers stay errno-neutral.
inline int raw_futex(const uint32_t* word, int op, uint32_t value,
                     uint32_t bitset, const struct timespec* timeout = nullptr) {
  const int saved_errno = errno;
  const long rc = syscall(SYS_futex, word, op, value, timeout, nullptr, bitset);
  const int result = rc < 0 ? errno : 0;
  errno = saved_errno;
  return result;
}

}  // namespace futex_detail

// Sleeps while *word == expected. Returns 0 after a wake, EAGAIN if the word
// differed when the kernel looked, EINTR after a signal handler ran, EFAULT if
// the word is no longer mapped. The kernel reads the word itself, so a fault
// becomes EFAULT instead of SIGSEGV.
inline int futex_wait(const uint32_t* word, uint32_t expected,
                      FutexScope scope) {
  return futex_detail::raw_futex(
      word, futex_detail::op_with_scope(FUTEX_WAIT, scope), expected, 0);
}

// Like futex_wait, but only a futex_wake_bitset whose bitset intersects
// `bitset` (or a plain futex_wake) dequeues this waiter.
inline int futex_wait_bitset(const uint32_t* word, uint32_t expected,
                             uint32_t bitset, FutexScope scope) {
  return futex_detail::raw_futex(
      word, futex_detail::op_with_scope(FUTEX_WAIT_BITSET, scope), expected,
      bitset);
}

// Like futex_wait_bitset, but gives up at the absolute CLOCK_MONOTONIC time
// `deadline` with ETIMEDOUT. A deadline in the past makes it a fault-free
// comparison of *word with `expected`: ETIMEDOUT if equal, EAGAIN if not,
// EFAULT if unmapped.
inline int futex_wait_bitset_until(const uint32_t* word, uint32_t expected,
                                   uint32_t bitset, FutexScope scope,
                                   const struct timespec& deadline) {
  return futex_detail::raw_futex(
      word, futex_detail::op_with_scope(FUTEX_WAIT_BITSET, scope), expected,
      bitset, &deadline);
}

// An absolute CLOCK_MONOTONIC deadline `nanoseconds` from now.
inline struct timespec deadline_after(uint64_t nanoseconds) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);  // vDSO; async-signal-safe
  now.tv_sec += static_cast<time_t>(nanoseconds / 1'000'000'000);
  now.tv_nsec += static_cast<long>(nanoseconds % 1'000'000'000);
  if (now.tv_nsec >= 1'000'000'000) {
    now.tv_sec += 1;
    now.tv_nsec -= 1'000'000'000;
  }
  return now;
}

// Wakes every waiter on word. The kernel does not read or write *word for a
// private wake; a shared wake looks the page up and fails with EFAULT if the
// caller's view is gone (callers that need the wake to land keep the page
// mapped; see unmap_lock.h).
inline int futex_wake_all(const uint32_t* word, FutexScope scope) {
  return futex_detail::raw_futex(
      word, futex_detail::op_with_scope(FUTEX_WAKE, scope), INT32_MAX, 0);
}

// How many threads, of any live process, sleep on `word` now: requeues them
// from the word onto itself (FUTEX_CMP_REQUEUE waking none), which moves no
// one (kernel/futex/requeue.c leaves a waiter in place when both keys hash to
// one bucket) and returns how many it found. A sleeper of a killed process
// is gone from the queue; a waiter briefly awake between two sleeps is not
// counted. Returns -1 if the word kept changing or the call failed.
inline int futex_count_sleepers(const uint32_t* word, FutexScope scope) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    const int saved_errno = errno;
    // volatile read: the value the kernel compares with (val3) must be fresh.
    const uint32_t now = *static_cast<const volatile uint32_t*>(word);
    const long rc = syscall(SYS_futex, word,
                            futex_detail::op_with_scope(FUTEX_CMP_REQUEUE, scope), 0,
                            static_cast<long>(INT32_MAX), word, now);
    const int error = rc < 0 ? errno : 0;
    errno = saved_errno;
    if (rc >= 0) return static_cast<int>(rc);
    if (error != EAGAIN) return -1;
  }
  return -1;
}

inline int futex_wake_all_bitset(const uint32_t* word, uint32_t bitset,
                                 FutexScope scope) {
  return futex_detail::raw_futex(
      word, futex_detail::op_with_scope(FUTEX_WAKE_BITSET, scope), INT32_MAX,
      bitset);
}

}  // namespace bshim
