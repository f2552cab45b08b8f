// The calling thread's scheduling policy, asked of the kernel
// (realtime_policy.h).
#include "os/realtime_policy.h"

#include <sched.h>

namespace bshim {
namespace realtime_policy_detail {

__thread uint32_t t_epoch_asked __attribute__((tls_model("initial-exec")));
__thread bool t_realtime __attribute__((tls_model("initial-exec")));

namespace {
// <sched.h> of glibc 2.36 does not name SCHED_DEADLINE (linux/sched.h: 6).
constexpr int kSchedDeadline = 6;
}  // namespace

bool ask_kernel_and_remember(uint32_t epoch) {
  // sched_getscheduler(0): the calling thread's policy (a thread is a task
  // to the kernel); fails only for a bad pid. SCHED_RESET_ON_FORK is a flag
  // beside the policy.
  const int policy = sched_getscheduler(0) & ~SCHED_RESET_ON_FORK;
  const bool realtime = policy == SCHED_FIFO || policy == SCHED_RR || policy == kSchedDeadline;
  t_realtime = realtime;
  t_epoch_asked = epoch;
  return realtime;
}

}  // namespace realtime_policy_detail
}  // namespace bshim
