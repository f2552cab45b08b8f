/* The object wait path with the unmap lock, checked exhaustively by spin.
 *
 * THREADS threads, in PROCS processes (thread t in process t % PROCS), share
 * B1, a process-shared barrier of COUNT in shared memory, and each waits at
 * it WAITS times. The first thread of each process back from the final round
 * may destroy B1 (if nobody has) and unmap its process's view, the instant
 * its wait returned, while the others may still be leaving. With HANDLER set
 * (signals.pml), thread 0 receives one signal whose handler unmaps memory
 * that is not B1 (munmap of unrelated memory, or shmdt of an unrelated
 * segment, whose range covers every window) or waits at B2 with the thread
 * `peer`. With PEER_UNMAPS_FIRST the peer munmaps unrelated memory before
 * it arrives at B2 (issue 13, case 7: the handler waits for a thread that
 * unmaps, inside its thread's window on B1).
 *
 * Checked:
 *  - no user-space access to B1 in a process after that process unmapped it,
 *    and no FUTEX_WAKE through an unmapped view (assertions);
 *  - no lost wake-up and no deadlock, signal handlers included: a thread
 *    blocked for ever is an invalid end state;
 *  - it is a barrier: nobody returns from round r before COUNT arrivals at
 *    r, one serial thread per round.
 *
 * Rounds are numbers 0 .. ROUNDS without wrap-around; every step is
 * sequentially consistent (see README.md here for what that abstracts).
 */

#ifndef THREADS
#define THREADS 2
#endif
#ifndef COUNT
#define COUNT THREADS
#endif
#ifndef WAITS
#define WAITS 2
#endif
#ifndef PROCS
#define PROCS 1
#endif
#ifndef DESTROY
#define DESTROY 1
#endif
#ifndef SPIN_POLLS
#define SPIN_POLLS 0
#endif
#ifndef PEER_UNMAPS_FIRST
#define PEER_UNMAPS_FIRST 0
#endif
#define ROUNDS (THREADS * WAITS / COUNT)
#define FINAL_ROUND (ROUNDS - 1)

/* Thread-local state: the threads, then the peer. The handler uses its
 * thread's. Futex queue entries: the threads, the handler, the peer. */
#define PEER_TLS THREADS
#define TLS_SLOTS (THREADS + 1)
#define PROC_OF(tls) ((tls) == PEER_TLS -> 0 : (tls) % PROCS)
#define HANDLER_QUEUE THREADS
#define PEER_QUEUE (THREADS + 1)
#define QUEUE_ENTRIES (THREADS + 2)

#include "futex.pml"
#include "signals.pml"
#include "unmap_lock.pml"
#include "object_wait.pml"

bool release_claimed[PROCS];  /* a thread of p has chosen to release its view */
bool destroyed;               /* some thread has chosen to destroy B1 */

proctype thread(byte t) {
  byte waits_done = 0;
  OBJECT_WAIT_LOCALS;
  UNMAP_LOCK_LOCALS;

  do
  :: waits_done == WAITS -> break
  :: waits_done < WAITS ->
     object_wait(B1, t % PROCS, t, t);
     assert(arrived_in_round[GHOST(wait_gen, wait_round)] == COUNT);
     clear_wait_scratch();
     waits_done++;
     if
     :: wait_round == FINAL_ROUND ->
        /* The first thread of its process back may release the process's
         * view, destroying the barrier first if nobody has. */
        if
        :: atomic { !release_claimed[t % PROCS] -> release_claimed[t % PROCS] = true };
           munmap_view(B1, t % PROCS, t, t)
#if DESTROY
        :: atomic {
             !release_claimed[t % PROCS] && !destroyed ->
             release_claimed[t % PROCS] = true;
             destroyed = true
           };
           barrier_destroy(B1, t % PROCS, t, t);
           munmap_view(B1, t % PROCS, t, t)
#endif
        :: true -> skip
        fi
     :: else -> skip
     fi;
     wait_round = 0
  od;
  SIGNAL_AT_THE_LATEST_NOW(t)
}

#if HANDLER != HANDLER_NONE
active proctype signal_handler() {
  OBJECT_WAIT_LOCALS;
  UNMAP_LOCK_LOCALS;
end_not_signalled:
  handler_running;
#if HANDLER == HANDLER_MUNMAP
  /* munmap of unrelated memory, or shmdt of an unrelated segment: the
   * latter's range covers every window, its own thread's too, which it
   * skips. */
  if
  :: begin_unmap(0, SIGNALLED, HANDLER_QUEUE, RANGE_OTHER)
  :: begin_unmap(0, SIGNALLED, HANDLER_QUEUE, RANGE_ALL)
  fi;
  end_unmap(0, SIGNALLED);
#else
  object_wait(B2, 0, SIGNALLED, HANDLER_QUEUE);
#endif
  handler_running = false
}
#endif

#if HANDLER == HANDLER_BARRIER_WAIT
active proctype peer() {
  OBJECT_WAIT_LOCALS;
  UNMAP_LOCK_LOCALS;
#if PEER_UNMAPS_FIRST
  begin_unmap(0, PEER_TLS, PEER_QUEUE, RANGE_OTHER);
  end_unmap(0, PEER_TLS);
#endif
  object_wait(B2, 0, PEER_TLS, PEER_QUEUE)
}
#endif

init {
  byte t = 0;
  atomic {
    do
    :: t < THREADS -> run thread(t); t++
    :: else -> break
    od
  }
}
