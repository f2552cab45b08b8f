/* The process-wide unmap lock (src/unmap_lock/unmap_lock.h, src/unmap_lock/unmap_lock.cc), one per
 * process p.
 *
 * Invariants (as in the code):
 *  - exiters[p] counts the exit windows open in process p; unmappers[p] the
 *    threads of p holding or waiting for the unmap side (a hint only);
 *    sleeping_unmappers[p] the unmappers that may sleep on exiters[p].
 *  - a thread's own depth of each side (exit_depth, unmap_depth, indexed by
 *    the thread's tls number) is raised before the shared count and lowered
 *    after it, so a signal handler on that thread never sees its own hold in
 *    the count without seeing it in its depth.
 *  - exiters never wait for unmappers; an unmapper waits for exiters[p] == 0
 *    unless its own thread holds an exit window (it would wait for itself).
 *
 * Abstracted: an exiter's bounded deferral to a waiting unmapper (a delay for
 * fairness; every interleaving is explored anyway), the unmapper's 200 polls
 * (one poll, then the sleeping loop, which polls again each time), and the
 * saturation of counts after fork (no fork here).
 *
 * Broken variants (each must fail):
 *  BROKEN_UNMAP_IGNORES_EXITERS         begin_unmap does not wait for windows
 *  BROKEN_NESTED_UNMAP_WAITS            begin_unmap waits even inside its own
 *                                       thread's window
 *  BROKEN_DEPTH_AFTER_COUNT             the thread's exit depth is raised after
 *                                       the shared count, lowered before it
 *  BROKEN_EXITER_LOADS_BEFORE_DECREMENT the exiter reads sleeping_unmappers
 *                                       before its decrement: the store-load
 *                                       reordering that seq_cst forbids
 *  BROKEN_SYMMETRIC_LOCK                exiters wait (sleep) for unmappers, as
 *                                       in the original symmetric design
 *  BROKEN_UNBOUNDED_DEFERRAL            an exiter's deferral to a waiting
 *                                       unmapper spins without its bound
 *
 * Needs: PROCS, TLS_SLOTS, futex.pml, signals.pml; the caller declares the
 * locals in UNMAP_LOCK_LOCALS.
 */

byte exiters[PROCS];
byte unmappers[PROCS];
byte sleeping_unmappers[PROCS];
byte exit_depth[TLS_SLOTS];
byte unmap_depth[TLS_SLOTS];

#define UNMAP_LOCK_LOCALS \
  byte lock_old_exiters; byte lock_sleeping_seen; byte lock_exiters_seen; \
  byte lock_futex_result; bool lock_no_exiters

inline enter_exit_window(p, tls) {
#if defined(BROKEN_SYMMETRIC_LOCK)
  if
  :: exit_depth[tls] == 0 && unmap_depth[tls] == 0 -> (unmappers[p] == 0)
  :: else -> skip
  fi;
#elif defined(BROKEN_UNBOUNDED_DEFERRAL)
  if
  :: exit_depth[tls] == 0 && unmap_depth[tls] == 0 ->
     do
     :: unmappers[p] != 0 -> skip  /* cpu_relax(), without the bound */
     :: else -> break
     od
  :: else -> skip
  fi;
#endif
  /* One step unless the signal comes in the middle: no other thread reads
   * this thread's depth. */
  atomic {
#ifdef BROKEN_DEPTH_AFTER_COUNT
    exiters[p]++;
    SIGNAL_POINT_IN_BOOKKEEPING(tls);
    exit_depth[tls]++
#else
    exit_depth[tls]++;
    SIGNAL_POINT_IN_BOOKKEEPING(tls);  /* a handler here sees its depth raised, the count not yet */
    exiters[p]++
#endif
  }
}

inline leave_exit_window(p, tls) {
#ifdef BROKEN_DEPTH_AFTER_COUNT
  atomic {
    exit_depth[tls]--;
    SIGNAL_POINT_IN_BOOKKEEPING(tls)
  };
#endif
#ifdef BROKEN_EXITER_LOADS_BEFORE_DECREMENT
  lock_sleeping_seen = sleeping_unmappers[p];
  atomic {
    lock_old_exiters = exiters[p];
    if
    :: exiters[p] > 0 -> exiters[p]--
    :: else -> skip
    fi
  };
  if  /* the load above came too early: an unmapper may sleep unseen */
  :: lock_old_exiters == 1 && lock_sleeping_seen != 0 ->
     futex_wake(FUTEX_EXITERS_BASE + p, ALL_BITS, true)
  :: else -> skip
  fi;
#else
  /* The saturating decrement, then the load of sleeping_unmappers (Dekker
   * with wait_for_no_exiters): either the unmapper's increment comes first
   * and we wake it, or its own read of exiters sees our decrement. */
  atomic {
    lock_old_exiters = exiters[p];
    if
    :: exiters[p] > 0 -> exiters[p]--
    :: else -> skip
    fi
  };
  if  /* the last window closed: wake the unmappers sleeping on the count */
  :: lock_old_exiters == 1 && sleeping_unmappers[p] != 0 ->
     futex_wake(FUTEX_EXITERS_BASE + p, ALL_BITS, true)
  :: else -> skip
  fi;
#endif
  atomic {
#ifndef BROKEN_DEPTH_AFTER_COUNT
    SIGNAL_POINT_IN_BOOKKEEPING(tls);  /* a handler here sees the count lowered, its depth not yet */
    exit_depth[tls]--;
#endif
    lock_old_exiters = 0;
    lock_sleeping_seen = 0
  }
}

/* Waits until no exit window of process p is open. q: the caller's futex
 * queue entry. */
inline wait_for_no_exiters(p, tls, q) {
  lock_no_exiters = (exiters[p] == 0);
  do
  :: lock_no_exiters -> break
  :: else ->
     sleeping_unmappers[p]++;
     lock_exiters_seen = exiters[p];
     if
     :: lock_exiters_seen != 0 ->
        /* Sleeps only while the count still equals what we read. */
        futex_enqueue(q, FUTEX_EXITERS_BASE + p, ALL_BITS, false, exiters[p],
                      lock_exiters_seen, lock_futex_result);
        if
        :: lock_futex_result == F_WOKEN -> futex_sleep_or_signal(q, tls, lock_futex_result)
        :: else -> skip
        fi
     :: else -> skip
     fi;
     atomic {
       if
       :: sleeping_unmappers[p] > 0 -> sleeping_unmappers[p]--
       :: else -> skip
       fi
     };
     lock_no_exiters = (exiters[p] == 0)
  od;
  atomic { lock_no_exiters = false; lock_exiters_seen = 0; lock_futex_result = 0 }
}

inline begin_unmap(p, tls, q) {
  atomic {
    unmap_depth[tls]++;
    unmappers[p]++
  };
  SIGNAL_POINT(tls);  /* e.g. a handler that waits at a barrier while we unmap */
#if defined(BROKEN_UNMAP_IGNORES_EXITERS)
  skip
#elif defined(BROKEN_NESTED_UNMAP_WAITS)
  wait_for_no_exiters(p, tls, q)
#else
  if
  :: exit_depth[tls] == 0 -> wait_for_no_exiters(p, tls, q)
  :: else -> skip  /* nested in this thread's own window: would wait for itself */
  fi
#endif
}

inline end_unmap(p, tls) {
  atomic {
    if
    :: unmappers[p] > 0 -> unmappers[p]--
    :: else -> skip
    fi;
    unmap_depth[tls]--
  }
}
