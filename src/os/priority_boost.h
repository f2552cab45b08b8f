// Lending a real-time thread's priority to the thread it waits for.
//
// An unmapper of barrier memory must wait for the exit windows other threads
// hold on it. A window is short, but a window owner of lower real-time
// priority can be preempted inside it by a thread of middle priority, and
// then the high-priority unmapper waits for as long as the middle one runs
// (priority inversion). The unmapper boosts the owner to its own policy and
// priority for the wait, and gives it back its own afterwards: no cost on the
// waiters' path, only system calls on the unmapper's (and only when it is
// real-time and has to sleep). The boost needs the right to set that
// priority (the unmapper's own, so a real-time unmapper usually has it:
// CAP_SYS_NICE or RLIMIT_RTPRIO); without it, nothing changes.
#pragma once

#include <sched.h>
#include <sys/types.h>

namespace bshim {

class PriorityBoost {
 public:
  PriorityBoost() = default;
  PriorityBoost(const PriorityBoost&) = delete;
  PriorityBoost& operator=(const PriorityBoost&) = delete;
  ~PriorityBoost() { end(); }

  // Raises thread `tid` to this thread's real-time policy and priority if
  // this thread is real-time and `tid` runs below it. One thread at a time:
  // a boost of another thread ends the previous one first.
  void lend_to(pid_t tid);
  // Gives the boosted thread back its policy and priority, unless it changed
  // them itself meanwhile.
  void end();

 private:
  pid_t tid_ = 0;  // 0: nobody boosted
  int their_policy_ = 0;
  struct sched_param their_param_ = {};
  int lent_policy_ = 0;
  int lent_priority_ = 0;
};

}  // namespace bshim
