/* One signal, delivered to thread SIGNALLED (thread 0) at one of the points
 * where the code marks SIGNAL_POINT, or while that thread sleeps in a futex
 * (EINTR), or at the latest when the thread is about to finish.
 *
 * The handler is a proctype of the model that includes this (e.g.
 * signal_handler in object_path.pml): it runs on the signalled thread, with
 * that thread's thread-local state and record (tls) and its process, while
 * the interrupted code waits for it to return, as a thread stopped by a
 * handler does. It has a futex queue entry of its own (a handler's wait is a
 * new wait; the interrupted one was dequeued first).
 *
 * HANDLER selects what the handler does:
 *  HANDLER_MUNMAP        an unmap (the unmap side of the lock, in the middle
 *                        of whatever the thread holds)
 *  HANDLER_BARRIER_WAIT  a wait at another barrier, B2, whose other
 *                        participant is the thread `peer`
 *  HANDLER_EXITS_THREAD  pthread_exit: the thread never returns to the
 *                        interrupted code; the handler sets thread_exited,
 *                        and the interrupted code jumps to the label
 *                        `thread_gone`, which every proctype that can run
 *                        a SIGNAL_POINT must then have (at its end)
 *  HANDLER_OWN           the including model delivers the signal itself
 *                        (no SIGNAL_POINT delivers it)
 */

#ifndef HANDLER
#define HANDLER 0
#endif
#define HANDLER_NONE 0
#define HANDLER_MUNMAP 1
#define HANDLER_BARRIER_WAIT 2
#define HANDLER_EXITS_THREAD 3
#define HANDLER_OWN 4

#define SIGNALLED 0

bool signal_delivered;  /* the one signal has been delivered */
bool handler_running;   /* the handler runs; the signalled thread is stopped */
bool thread_exited;     /* the handler ended the signalled thread */

/* The interrupted code, once the handler is done: resumes, or, if the
 * handler ended the thread, leaves it. */
#if HANDLER == HANDLER_EXITS_THREAD
#define RESUME_AFTER_HANDLER \
  (!handler_running || thread_exited); \
  if \
  :: thread_exited -> goto thread_gone \
  :: else -> skip \
  fi
#else
#define RESUME_AFTER_HANDLER (!handler_running)
#endif

#if HANDLER != HANDLER_NONE && HANDLER != HANDLER_OWN
#define SIGNAL_DELIVERABLE(tls) ((tls) == SIGNALLED && !signal_delivered)
#define SIGNAL_POINT(tls) \
  if \
  :: atomic { SIGNAL_DELIVERABLE(tls) -> signal_delivered = true; handler_running = true }; \
     RESUME_AFTER_HANDLER \
  :: true -> skip \
  fi
/* Inside the exit window's own bookkeeping, between the entry's object and
 * the record's depth: matters only to a handler that opens a window of its
 * own (it uses the same entry). Left out otherwise, to keep the state space
 * small. */
#if HANDLER == HANDLER_BARRIER_WAIT
#define SIGNAL_POINT_IN_BOOKKEEPING(tls) SIGNAL_POINT(tls)
#else
#define SIGNAL_POINT_IN_BOOKKEEPING(tls) skip
#endif

/* The signal has come by the time the thread finishes. */
#define SIGNAL_AT_THE_LATEST_NOW(tls) \
  if \
  :: atomic { SIGNAL_DELIVERABLE(tls) -> signal_delivered = true; handler_running = true }; \
     RESUME_AFTER_HANDLER \
  :: else -> skip \
  fi
#else
#define SIGNAL_DELIVERABLE(tls) false
#define SIGNAL_POINT(tls) skip
#define SIGNAL_AT_THE_LATEST_NOW(tls) skip
#define SIGNAL_POINT_IN_BOOKKEEPING(tls) skip
#endif

/* futex_sleep (futex.pml), where the sleeper may also be the signalled
 * thread: the signal dequeues it, the handler runs, the wait returns EINTR.
 *
 * may_time_out: the sleep has a timeout that the code relies on for
 * progress (a sleeper's periodic re-check, in identity.pml). It is
 * modelled as firing only when nothing else in the system can run (spin's
 * `timeout`): the one moment it is needed; earlier it is a spurious
 * return, which SPURIOUS covers. A sleeper whose re-check after such a
 * timeout decides to sleep again sleeps in the same stuck system (its
 * re-check changes nothing another thread waits for), so the caller passes
 * false for that second sleep, and a real deadlock stays an invalid end
 * state. */
inline futex_sleep_or_signal(q, tls, result, may_time_out) {
  if
  :: blocked_on[q] == NO_FUTEX -> skip  /* woken: result stays F_WOKEN */
  :: atomic {
       spurious_left > 0 && blocked_on[q] != NO_FUTEX ->
       spurious_left--;
       blocked_on[q] = NO_FUTEX;
       result = F_SPURIOUS
     }
  :: atomic {
       SIGNAL_DELIVERABLE(tls) && blocked_on[q] != NO_FUTEX ->
       blocked_on[q] = NO_FUTEX;
       result = F_EINTR;
       signal_delivered = true;
       handler_running = true
     };
     RESUME_AFTER_HANDLER
  :: atomic {
       (may_time_out) && timeout && blocked_on[q] != NO_FUTEX ->
       blocked_on[q] = NO_FUTEX;
       result = F_TIMEDOUT
     }
  fi
}
