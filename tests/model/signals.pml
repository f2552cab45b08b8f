/* One signal, delivered to thread SIGNALLED (thread 0) at one of the points
 * where the code marks SIGNAL_POINT, or while that thread sleeps in a futex
 * (EINTR), or at the latest when the thread is about to finish.
 *
 * The handler is the proctype signal_handler (object_path.pml): it runs on the
 * signalled thread, with that thread's thread-local state (tls) and its
 * process, while the interrupted code waits for it to return, as a thread
 * stopped by a handler does. It has a futex queue entry of its own (a
 * handler's wait is a new wait; the interrupted one was dequeued first).
 *
 * HANDLER selects what the handler does:
 *  HANDLER_MUNMAP        munmap of unrelated memory (the unmap side of the
 *                        lock, in the middle of whatever the thread holds)
 *  HANDLER_BARRIER_WAIT  a wait at another process-shared barrier, B2, whose
 *                        other participant is the thread `peer`
 */

#ifndef HANDLER
#define HANDLER 0
#endif
#define HANDLER_NONE 0
#define HANDLER_MUNMAP 1
#define HANDLER_BARRIER_WAIT 2

#define SIGNALLED 0

bool signal_delivered;  /* the one signal has been delivered */
bool handler_running;   /* the handler runs; the signalled thread is stopped */

#if HANDLER != HANDLER_NONE
#define SIGNAL_DELIVERABLE(tls) ((tls) == SIGNALLED && !signal_delivered)
#define SIGNAL_POINT(tls) \
  if \
  :: atomic { SIGNAL_DELIVERABLE(tls) -> signal_delivered = true; handler_running = true }; \
     (!handler_running) \
  :: true -> skip \
  fi
/* Inside the exit window's own bookkeeping, between the thread's depth and
 * the shared count: matters only to a handler that reads the depth, i.e.
 * one that unmaps. Left out otherwise, to keep the state space small. */
#if HANDLER == HANDLER_MUNMAP
#define SIGNAL_POINT_IN_BOOKKEEPING(tls) SIGNAL_POINT(tls)
#else
#define SIGNAL_POINT_IN_BOOKKEEPING(tls) skip
#endif

/* The signal has come by the time the thread finishes. */
#define SIGNAL_AT_THE_LATEST_NOW(tls) \
  if \
  :: atomic { SIGNAL_DELIVERABLE(tls) -> signal_delivered = true; handler_running = true }; \
     (!handler_running) \
  :: else -> skip \
  fi
#else
#define SIGNAL_DELIVERABLE(tls) false
#define SIGNAL_POINT(tls) skip
#define SIGNAL_AT_THE_LATEST_NOW(tls) skip
#define SIGNAL_POINT_IN_BOOKKEEPING(tls) skip
#endif

/* futex_sleep (futex.pml), where the sleeper may also be the signalled
 * thread: the signal dequeues it, the handler runs, the wait returns EINTR. */
inline futex_sleep_or_signal(q, tls, result) {
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
     (!handler_running)
  fi
}
