#include "os/priority_boost.h"

#include <cerrno>

namespace bshim {
namespace {

bool is_real_time(int policy) {
  policy &= ~SCHED_RESET_ON_FORK;
  return policy == SCHED_FIFO || policy == SCHED_RR;
}

}  // namespace

void PriorityBoost::lend_to(pid_t tid) {
  if (tid == tid_ || tid <= 0) return;
  end();
  const int saved_errno = errno;  // the wrappers that call this keep errno
  const int mine = sched_getscheduler(0);
  struct sched_param my_param = {};
  struct sched_param their_param = {};
  const int theirs = sched_getscheduler(tid);
  if (mine >= 0 && is_real_time(mine) && sched_getparam(0, &my_param) == 0 && theirs >= 0 &&
      sched_getparam(tid, &their_param) == 0 &&
      (!is_real_time(theirs) || their_param.sched_priority < my_param.sched_priority) &&
      sched_setscheduler(tid, mine & ~SCHED_RESET_ON_FORK, &my_param) == 0) {
    tid_ = tid;
    their_policy_ = theirs;
    their_param_ = their_param;
    lent_policy_ = mine & ~SCHED_RESET_ON_FORK;
    lent_priority_ = my_param.sched_priority;
  }
  errno = saved_errno;
}

void PriorityBoost::end() {
  if (tid_ == 0) return;
  const int saved_errno = errno;
  struct sched_param now = {};
  const int policy = sched_getscheduler(tid_);
  // Only what we lent is taken back: a thread that set its own priority
  // meanwhile keeps it, and a thread that exited answers ESRCH here.
  if (policy >= 0 && (policy & ~SCHED_RESET_ON_FORK) == lent_policy_ &&
      sched_getparam(tid_, &now) == 0 && now.sched_priority == lent_priority_) {
    sched_setscheduler(tid_, their_policy_, &their_param_);
  }
  tid_ = 0;
  errno = saved_errno;
}

}  // namespace bshim
