// Whether the calling thread runs under a real-time scheduling policy
// (SCHED_FIFO, SCHED_RR or SCHED_DEADLINE), cached per thread.
//
// Why the barrier asks: sched_yield() lets only threads of the same
// real-time priority run. A real-time waiter that yields while a lower
// participant it waits for is runnable on its CPU gets the CPU straight
// back, so its yields are a spin at real-time priority that keeps that
// participant off the CPU (pi_stress of rt-tests completed 30% fewer
// inversions under the shim's yields: doc/performance.md).
//
// The cache: each thread remembers the answer with the process's policy
// epoch at the time; note_scheduling_change() (the preload layer's wrappers
// of pthread_setschedparam, pthread_setschedprio, sched_setscheduler and
// sched_setparam, for any thread, and its fork child handler, since
// SCHED_RESET_ON_FORK gives the child SCHED_OTHER) moves the epoch on, and every thread asks
// the kernel again at its next question. A change the wrappers do not see
// (a raw sched_setattr, chrt -p from outside) leaves a stale answer until
// the next epoch: the barrier then yields where it need not, or sleeps where
// a yield would have done; never a correctness matter.
#pragma once

#include <atomic>
#include <cstdint>

namespace bshim {

namespace realtime_policy_detail {
// Starts at 1, so that a thread's 0 means "never asked".
inline constinit std::atomic<uint32_t> g_policy_epoch{1};
bool ask_kernel_and_remember(uint32_t epoch);
extern __thread uint32_t t_epoch_asked __attribute__((tls_model("initial-exec")));
extern __thread bool t_realtime __attribute__((tls_model("initial-exec")));
}  // namespace realtime_policy_detail

// One system call (sched_getscheduler) on a thread's first question and
// after each change; two thread-local loads and one shared load otherwise.
// Async-signal-safe.
inline bool calling_thread_is_realtime() {
  using namespace realtime_policy_detail;
  // relaxed: a hint for the waiting policy; a change seen late only delays
  // the new answer by one wait.
  const uint32_t epoch = g_policy_epoch.load(std::memory_order_relaxed);
  if (t_epoch_asked == epoch) return t_realtime;
  return ask_kernel_and_remember(epoch);
}

// Some thread's scheduling policy or priority may have changed.
inline void note_scheduling_change() {
  // relaxed: see above. Never 0 again after the wrap (0 means "never asked").
  uint32_t epoch = realtime_policy_detail::g_policy_epoch.fetch_add(1, std::memory_order_relaxed) + 1;
  if (epoch == 0) realtime_policy_detail::g_policy_epoch.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace bshim
