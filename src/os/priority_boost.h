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

// One lender's boost. Lenders of one thread share a process-wide record of
// it: the thread runs at the highest lent priority until the last lender is
// done, who restores what the thread had before the first. A SCHED_DEADLINE
// thread is never touched (it outranks every real-time one).
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
  // This lender is done; the last one gives the thread back its policy and
  // priority, unless it changed them itself meanwhile.
  void end();

 private:
  pid_t tid_ = 0;  // 0: nobody boosted by this lender
};

}  // namespace bshim
