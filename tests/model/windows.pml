/* Exit windows with owners (issue 13): the unmap lock's rules for windows
 * that are nested in a handler, left by a thread that exits, or copied by
 * fork, checked exhaustively by spin. SCENARIO selects one:
 *
 * SCENARIO_NESTED_UNMAP (case 9): thread A is inside its window on a
 *   barrier P (its wait at P is abstracted to that window) when a signal
 *   arrives. The handler, once a participant of barrier Q (B1, count 2:
 *   threads B and C, WAITS waits each) has returned from Q's final round,
 *   destroys Q (or not) and unmaps it, nested in A's window. The unmap must
 *   still wait for B's (or C's) window on Q: no access to Q after its
 *   release.
 *
 * SCENARIO_THREAD_EXIT (case 8): thread V waits at B1 (count 2) with the
 *   main thread M; a signal to V, at any point of V's wait, runs a handler
 *   that calls pthread_exit: V never returns to its wait, and its record's
 *   exit hook closes the windows it left open. M, at any time, munmaps
 *   unrelated memory or shmdt's an unrelated segment (which waits for every
 *   window); once V has arrived, M completes the round and unmaps B1. No
 *   unmap may wait for ever.
 *
 * SCENARIO_FORK (case 10): thread W waits at B1 (count 2) with the main
 *   thread F, which forks at any point of W's wait and then completes the
 *   round. In the child (process 1, whose only thread is F's copy) an
 *   atfork child handler of another library unmaps unrelated memory, the
 *   child's view of B1, or everything (shmdt), before or after the shim's
 *   own child handler resets the lock. The kernel has wiped the records
 *   (MADV_WIPEONFORK): the child's unmap must not wait for W's window, which
 *   no thread of the child will ever close.
 *
 * Broken variants: BROKEN_NESTED_UNMAP_SKIPS_ALL and BROKEN_NO_EXIT_HOOK
 * (unmap_lock.pml), BROKEN_NO_WIPE_AT_FORK (here: the child's records are
 * copies of the parent's).
 */

#define SCENARIO_NESTED_UNMAP 1
#define SCENARIO_THREAD_EXIT 2
#define SCENARIO_FORK 3
#ifndef SCENARIO
#define SCENARIO SCENARIO_NESTED_UNMAP
#endif

#define COUNT 2
#ifndef WAITS
#define WAITS 1  /* waits of each participant of B1 */
#endif
#define ROUNDS WAITS
#define FINAL_ROUND (ROUNDS - 1)
#ifndef SPIN_POLLS
#define SPIN_POLLS 0
#endif

#if SCENARIO == SCENARIO_NESTED_UNMAP
#define HANDLER 4  /* HANDLER_OWN: delivered in A's window, below */
#define PROCS 1
#define A_TLS 0  /* = SIGNALLED */
#define TLS_SLOTS 3  /* A, B, C */
#define PROC_OF(tls) 0
#define HANDLER_QUEUE 3
#define QUEUE_ENTRIES 4
#elif SCENARIO == SCENARIO_THREAD_EXIT
#define HANDLER 3  /* HANDLER_EXITS_THREAD */
#define PROCS 1
#define TLS_SLOTS 2  /* V (= SIGNALLED), M */
#define PROC_OF(tls) 0
#define QUEUE_ENTRIES 2
#else
#define PROCS 2
/* Process 0: F, W. Process 1, the child: F's copy, and the record that was
 * W's (no thread of the child owns it). */
#define TLS_SLOTS 4
#define CHILD_TLS 2
#define PROC_OF(tls) ((tls) / 2)
#define QUEUE_ENTRIES 3
#endif

#include "futex.pml"
#include "signals.pml"
#include "unmap_lock.pml"
#include "object_wait.pml"

#if SCENARIO == SCENARIO_NESTED_UNMAP

bool q_returned;  /* a participant of Q has returned from its round */

proctype thread_a() {
  UNMAP_LOCK_LOCALS;
  enter_exit_window(0, A_TLS, OBJECT_OF(B2));
  atomic { signal_delivered = true; handler_running = true };
  (!handler_running);
  leave_exit_window(0, A_TLS)
}

active proctype signal_handler() {
  OBJECT_WAIT_LOCALS;
  UNMAP_LOCK_LOCALS;
end_not_signalled:
  handler_running;
  (q_returned);  /* the program knows Q's round is over */
  if
  :: barrier_destroy(B1, 0, SIGNALLED, HANDLER_QUEUE)
  :: skip
  fi;
  munmap_view(B1, 0, SIGNALLED, HANDLER_QUEUE);
  handler_running = false
}

proctype q_waiter(byte t) {
  byte waits_done = 0;
  OBJECT_WAIT_LOCALS;
  UNMAP_LOCK_LOCALS;
  do
  :: waits_done == WAITS -> break
  :: else ->
     object_wait(B1, 0, t, t);
     assert(arrived_in_round[GHOST(wait_gen, wait_round)] == COUNT);
     clear_wait_scratch();
     waits_done++;
     if
     :: wait_round == FINAL_ROUND -> q_returned = true
     :: else -> skip
     fi;
     wait_round = 0
  od
}

init {
  atomic {
    run thread_a();
    run q_waiter(1);
    run q_waiter(2)
  }
}

#elif SCENARIO == SCENARIO_THREAD_EXIT

#define V_TLS SIGNALLED
#define M_TLS 1

proctype victim() {
  OBJECT_WAIT_LOCALS;
  UNMAP_LOCK_LOCALS;
  object_wait(B1, 0, V_TLS, V_TLS);
  assert(arrived_in_round[GHOST(wait_gen, wait_round)] == COUNT);
  SIGNAL_AT_THE_LATEST_NOW(V_TLS);
thread_gone:
  skip
}

/* pthread_exit in the handler: the thread's record is released by the key
 * destructor, whose hook closes the windows the thread left open. */
active proctype signal_handler() {
  UNMAP_LOCK_LOCALS;
end_not_signalled:
  handler_running;
  close_windows_of_exiting_thread(0, SIGNALLED);
  thread_exited = true
}

proctype main_thread() {
  OBJECT_WAIT_LOCALS;
  UNMAP_LOCK_LOCALS;
  /* munmap of unrelated memory, or shmdt of an unrelated segment (which
   * waits for every window of the other threads). */
  if
  :: begin_unmap(0, M_TLS, M_TLS, RANGE_OTHER)
  :: begin_unmap(0, M_TLS, M_TLS, RANGE_ALL)
  fi;
  end_unmap(0, M_TLS);
  /* Arrives once V has: V is never the one that completes the round (a
   * thread that exits before its wake would strand M, whatever the lock). */
  (arrived_in_round[GHOST(0, 0)] == 1);
  object_wait(B1, 0, M_TLS, M_TLS);
  assert(arrived_in_round[GHOST(wait_gen, wait_round)] == COUNT);
  munmap_view(B1, 0, M_TLS, M_TLS);
thread_gone:
  skip
}

init {
  atomic {
    run victim();
    run main_thread()
  }
}

#else /* SCENARIO_FORK */

#define F_TLS 0
#define W_TLS 1

/* The child of fork: F's copy. Its memory is a copy of the parent's at the
 * fork, but for the records, which the kernel wiped. */
proctype child() {
  UNMAP_LOCK_LOCALS;
  byte unmap_range;
  if
  :: unmap_range = RANGE_OTHER
  :: unmap_range = OBJECT_OF(B1)
  :: unmap_range = RANGE_ALL
  fi;
  if
  :: true  /* another library's atfork child handler runs first */
  :: atomic {  /* the shim's child handler runs first: resets the lock */
       sleeping_unmappers[1] = 0;
       window_depth[W_TLS + 2] = 0;  /* frees the records of other threads */
       window_object[(W_TLS + 2) * WINDOW_LEVELS] = NO_OBJECT;
       window_object[(W_TLS + 2) * WINDOW_LEVELS + 1] = NO_OBJECT
     }
  fi;
  /* The other library's handler: munmap or shmdt. */
  begin_unmap(1, CHILD_TLS, CHILD_TLS, unmap_range);
  atomic {
    if
    :: unmap_range != RANGE_OTHER -> released_view[1] = true
    :: else -> skip
    fi;
    end_unmap(1, CHILD_TLS)
  }
}

proctype forking_thread() {
  OBJECT_WAIT_LOCALS;
  UNMAP_LOCK_LOCALS;
  atomic {
    windows_opened[1] = windows_opened[0];
#ifdef BROKEN_SLEEP_ON_COUNT
    exiters[1] = exiters[0];
#endif
    window_closes[1] = window_closes[0];
    sleeping_unmappers[1] = sleeping_unmappers[0];
#ifdef BROKEN_NO_WIPE_AT_FORK
    /* The child's records are copies of the parent's. */
    window_depth[F_TLS + 2] = window_depth[F_TLS];
    window_depth[W_TLS + 2] = window_depth[W_TLS];
    window_object[(F_TLS + 2) * WINDOW_LEVELS] = window_object[F_TLS * WINDOW_LEVELS];
    window_object[(F_TLS + 2) * WINDOW_LEVELS + 1] = window_object[F_TLS * WINDOW_LEVELS + 1];
    window_object[(W_TLS + 2) * WINDOW_LEVELS] = window_object[W_TLS * WINDOW_LEVELS];
    window_object[(W_TLS + 2) * WINDOW_LEVELS + 1] = window_object[W_TLS * WINDOW_LEVELS + 1];
#endif
    run child()
  };
  object_wait(B1, 0, F_TLS, F_TLS);
  assert(arrived_in_round[GHOST(wait_gen, wait_round)] == COUNT)
}

proctype waiter() {
  OBJECT_WAIT_LOCALS;
  UNMAP_LOCK_LOCALS;
  object_wait(B1, 0, W_TLS, W_TLS);
  assert(arrived_in_round[GHOST(wait_gen, wait_round)] == COUNT)
}

init {
  atomic {
    run forking_thread();
    run waiter()
  }
}

#endif
