// pthread_setschedparam, pthread_setschedprio, sched_setscheduler and
// sched_setparam: each forwards to libc, then tells the core that some
// thread's policy may have changed, so that waiters ask the kernel again
// whether they are real-time (src/os/realtime_policy.h). Whatever the call
// returns, the epoch moves: a failed call changed nothing, and one more
// question costs one system call.
#include <pthread.h>
#include <sched.h>

#include "os/realtime_policy.h"
#include "real_functions.h"

#define BSHIM_EXPORT extern "C" __attribute__((visibility("default")))

BSHIM_EXPORT int pthread_setschedparam(pthread_t thread, int policy,
                                       const struct sched_param* param) noexcept {
  const int result = bshim_preload::call_real_pthread_setschedparam(thread, policy, param);
  bshim::note_scheduling_change();
  return result;
}

BSHIM_EXPORT int pthread_setschedprio(pthread_t thread, int priority) noexcept {
  const int result = bshim_preload::call_real_pthread_setschedprio(thread, priority);
  bshim::note_scheduling_change();
  return result;
}

BSHIM_EXPORT int sched_setscheduler(pid_t pid, int policy,
                                    const struct sched_param* param) noexcept {
  const int result = bshim_preload::call_real_sched_setscheduler(pid, policy, param);
  bshim::note_scheduling_change();
  return result;
}

BSHIM_EXPORT int sched_setparam(pid_t pid, const struct sched_param* param) noexcept {
  const int result = bshim_preload::call_real_sched_setparam(pid, param);
  bshim::note_scheduling_change();
  return result;
}
