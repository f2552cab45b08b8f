/* The process-wide unmap lock (src/unmap_lock/unmap_lock.h, unmap_lock.cc)
 * and the thread records that hold its windows (src/threads/thread_records.h),
 * one lock per process p.
 *
 * State, as in the code:
 *  - each thread's record (indexed by the thread's tls number; a signal
 *    handler uses its thread's) holds the exit windows the thread has open:
 *    window_depth, and for each level the object that window may touch
 *    (window_object). In the code a window is a bit in the entry of the
 *    wait it belongs to, which names the barrier: the entries with the bit
 *    set are this model's window_object[0 .. window_depth), since windows
 *    nest as the waits do and close innermost first;
 *  - windows_opened[p] is set by the first window ever opened in process p;
 *    until then an unmapper has nothing to scan (the only fast path: there
 *    is no count of open windows, so opening and closing one writes only
 *    the thread's own record);
 *  - window_closes[p] is the futex word unmappers sleep on: every close that
 *    finds an unmapper asleep bumps it, so it only grows;
 *  - sleeping_unmappers[p] counts the unmappers that may sleep on
 *    window_closes[p].
 *
 * Rules (as in the code):
 *  - a window is entered with its object: the flag, the record's entry,
 *    then its depth; it is left by lowering the record's depth, then
 *    loading sleeping_unmappers, and every close that finds one bumps
 *    window_closes and wakes them (one may wait for this window only);
 *  - an unmapper that must wait counts itself in sleeping_unmappers, reads
 *    window_closes, scans the records, and sleeps while window_closes still
 *    holds what it read.
 *  Promela is sequentially consistent: the two store-then-load sequences
 *  above (close, then load; count, then read and scan) are Dekker's pattern,
 *  which the code keeps ordered with an asymmetric fence (a compiler barrier
 *  on the close, membarrier on the sleeping unmapper: os/asymmetric_fence.h)
 *  and this model takes as ordered;
 *  - an unmapper of a range waits for the open windows of the other threads
 *    of its process whose object lies in that range; it skips its own
 *    thread's windows always (an unmap nested in a handler);
 *  - exiters never wait for unmappers;
 *  - a thread that exits with windows open has them closed by its record's
 *    exit hook (close_windows_of_exiting_thread).
 *
 * Objects and ranges: a window's object is OBJECT_OF(b) for the barrier b it
 * may touch; an unmap's range is OBJECT_OF(b) (the barrier's memory: munmap
 * of its page, destroy), RANGE_OTHER (memory no window is on) or RANGE_ALL
 * (shmdt, whose size is unknown: every window).
 *
 * Abstracted: an exiter's bounded deferral to a waiting unmapper (a delay
 * for fairness; every interleaving is explored anyway) and so the
 * `unmappers_` hint and the thread's unmap depth (kept only for the two
 * variants that read them); the unmapper's 200 polls (one poll, then the
 * sleeping loop, which scans again each time); its 10 ms timeout (a
 * fallback the rule above does not rely on: with a budget of 0 spurious
 * returns nothing but a close wakes it); untracked windows (a thread with
 * no free record, or nested more than kTrackedWindows deep: the models nest
 * two); the holders kept for longjmp. A scan reads one record (its depth
 * and the objects below it) in one step; the code reads the depth, then
 * each object, and an object it reads late belongs to the same window or
 * to a later one of that thread, which only makes it wait for a window
 * that is open. A window's entry is
 * cleared when it closes (the code leaves the stale object; nothing reads
 * past the depth but the thread's own check, which decides the same).
 *
 * Broken variants (each must fail):
 *  BROKEN_UNMAP_IGNORES_EXITERS         begin_unmap does not wait for windows
 *  BROKEN_NESTED_UNMAP_WAITS            the scan does not skip the unmapper's
 *                                       own record (its own windows)
 *  BROKEN_UNMAP_WAITS_FOR_EVERY_WINDOW  an unmapper waits for every window of
 *                                       other threads, whatever its object
 *                                       (the old rule: the count)
 *  BROKEN_NESTED_UNMAP_SKIPS_ALL        an unmap nested in its thread's window
 *                                       waits for no window at all (the old
 *                                       `if (t_exit_depth == 0) wait`)
 *  BROKEN_ENTRY_NOT_REWRITTEN           a window entered while a handler used
 *                                       the same entry (between the object's
 *                                       store and the depth's) keeps what the
 *                                       handler left there
 *  BROKEN_EXITER_LOADS_BEFORE_DECREMENT the exiter reads sleeping_unmappers
 *                                       before it closes its window (lowers
 *                                       its record's depth): the reordering
 *                                       that the asymmetric fence forbids
 *  BROKEN_SYMMETRIC_LOCK                exiters wait (sleep) for unmappers, as
 *                                       in the original symmetric design
 *  BROKEN_UNBOUNDED_DEFERRAL            an exiter's deferral to a waiting
 *                                       unmapper spins without its bound
 *  BROKEN_NO_EXIT_HOOK                  a thread that exits leaves its windows
 *                                       open (no key destructor)
 *  BROKEN_SLEEP_ON_COUNT                unmappers sleep on a count of open
 *                                       windows (the old `exiters_`, kept in
 *                                       this variant only), and a close
 *                                       wakes them there (the rule before
 *                                       window_closes): an open and a close
 *                                       between the unmapper's read and its
 *                                       sleep leave the count at the value
 *                                       read
 *  BROKEN_CLOSE_WITHOUT_BUMP            a close wakes the sleeping unmappers
 *                                       but does not bump window_closes
 *
 * Needs: PROCS, TLS_SLOTS, PROC_OF(tls) (the process of a tls number),
 * QUEUE_ENTRIES, futex.pml, signals.pml; the caller declares the locals in
 * UNMAP_LOCK_LOCALS.
 */

#define WINDOW_LEVELS 2   /* a window, and a handler's window nested in it */
#define NO_OBJECT 0
#define OBJECT_OF(b) ((b) + 1)
#define RANGE_OTHER 6
#define RANGE_ALL 7

bool windows_opened[PROCS];
byte window_closes[PROCS];
byte sleeping_unmappers[PROCS];
byte window_depth[TLS_SLOTS];
byte window_object[TLS_SLOTS * WINDOW_LEVELS];

/* The futex word unmappers sleep on, and its value. */
#define UNMAPPER_FUTEX(p) (FUTEX_UNMAP_LOCK_BASE + (p))
#ifdef BROKEN_SLEEP_ON_COUNT
byte exiters[PROCS];
#define UNMAPPER_WORD(p) exiters[p]
#else
#define UNMAPPER_WORD(p) window_closes[p]
#endif

#if defined(BROKEN_SYMMETRIC_LOCK) || defined(BROKEN_UNBOUNDED_DEFERRAL)
#define UNMAPPERS_HINT
byte unmappers[PROCS];
byte unmap_depth[TLS_SLOTS];
#endif

#define UNMAP_LOCK_LOCALS \
  byte lock_entry; byte lock_sleeping_seen; byte lock_word_seen; \
  byte lock_futex_result; bool lock_must_wait; byte lock_scan

/* Does an unmap of `range` overlap a window on `object`? */
#ifdef BROKEN_UNMAP_WAITS_FOR_EVERY_WINDOW
#define RANGE_COVERS(range, object) true
#else
#define RANGE_COVERS(range, object) ((range) == RANGE_ALL || (range) == (object))
#endif
/* The record r has an open window on `range`. */
#define WINDOW_ON(r, range) \
  (window_depth[r] > 0 && RANGE_COVERS(range, window_object[(r) * WINDOW_LEVELS]) || \
   window_depth[r] > 1 && RANGE_COVERS(range, window_object[(r) * WINDOW_LEVELS + 1]))
/* The records an unmapper of process p on thread tls scans. */
#ifdef BROKEN_NESTED_UNMAP_WAITS
#define SCANNED(p, tls, r) (PROC_OF(r) == (p))
#else
#define SCANNED(p, tls, r) (PROC_OF(r) == (p) && (r) != (tls))
#endif

inline enter_exit_window(p, tls, object) {
#if defined(BROKEN_SYMMETRIC_LOCK)
  if
  :: window_depth[tls] == 0 && unmap_depth[tls] == 0 -> (unmappers[p] == 0)
  :: else -> skip
  fi;
#elif defined(BROKEN_UNBOUNDED_DEFERRAL)
  if
  :: window_depth[tls] == 0 && unmap_depth[tls] == 0 ->
     do
     :: unmappers[p] != 0 -> skip  /* cpu_relax(), without the bound */
     :: else -> break
     od
  :: else -> skip
  fi;
#endif
  /* One step unless the signal comes in the middle: only this thread (and
   * its handlers) write the record. */
  atomic {
    windows_opened[p] = true;
    lock_entry = window_depth[tls];
    assert(lock_entry < WINDOW_LEVELS);
    window_object[tls * WINDOW_LEVELS + lock_entry] = object;
    /* A handler here opens its own window in the same entry, and has
     * closed it when it returns. */
    SIGNAL_POINT_IN_BOOKKEEPING(tls);
    window_depth[tls] = lock_entry + 1;
#ifndef BROKEN_ENTRY_NOT_REWRITTEN
    /* The code writes the object again if the entry no longer holds it. */
    window_object[tls * WINDOW_LEVELS + lock_entry] = object;
#endif
#ifdef BROKEN_SLEEP_ON_COUNT
    exiters[p]++;
#endif
    lock_entry = 0
  }
}

/* The wake of a close that found an unmapper asleep: window_closes is
 * bumped (one step, the fetch_add), then the futex wake (another). */
inline wake_sleeping_unmappers(p) {
#if !defined(BROKEN_SLEEP_ON_COUNT) && !defined(BROKEN_CLOSE_WITHOUT_BUMP)
  window_closes[p]++;
#endif
  futex_wake(UNMAPPER_FUTEX(p), ALL_BITS, true)
}

/* After a window's close (the record's depth lowered): the load of
 * sleeping_unmappers (Dekker with wait_for_windows_on: either the
 * unmapper's increment comes first and we bump window_closes past what it
 * read and wake it, or its read of window_closes and its scan come after
 * our close, and its scan sees our record closed). */
inline wake_if_unmappers_sleep(p) {
#ifdef BROKEN_SLEEP_ON_COUNT
  atomic {
    if
    :: exiters[p] > 0 -> exiters[p]--
    :: else -> skip
    fi
  };
#endif
  if
  :: sleeping_unmappers[p] != 0 -> wake_sleeping_unmappers(p)
  :: else -> skip
  fi
}

inline leave_exit_window(p, tls) {
#ifdef BROKEN_EXITER_LOADS_BEFORE_DECREMENT
  lock_sleeping_seen = sleeping_unmappers[p];  /* too early: an unmapper may sleep unseen */
#endif
  atomic {
    window_depth[tls]--;
    window_object[tls * WINDOW_LEVELS + window_depth[tls]] = NO_OBJECT
  };
#ifdef BROKEN_EXITER_LOADS_BEFORE_DECREMENT
  if
  :: lock_sleeping_seen != 0 -> wake_sleeping_unmappers(p)
  :: else -> skip
  fi;
  lock_sleeping_seen = 0
#else
  wake_if_unmappers_sleep(p)
#endif
}

/* The exit hook of the records, in the exiting thread: the windows its
 * thread left open are closed (the record's depth to 0), then one wake
 * check. */
inline close_windows_of_exiting_thread(p, tls) {
#ifndef BROKEN_NO_EXIT_HOOK
  atomic {
    lock_entry = window_depth[tls];
    window_depth[tls] = 0;
    window_object[tls * WINDOW_LEVELS] = NO_OBJECT;
    window_object[tls * WINDOW_LEVELS + 1] = NO_OBJECT
  };
#ifdef BROKEN_SLEEP_ON_COUNT
  do
  :: lock_entry > 1 -> atomic { exiters[p] > 0 -> exiters[p]-- }; lock_entry--
  :: else -> break
  od;
#endif
  if
  :: lock_entry > 0 -> wake_if_unmappers_sleep(p)
  :: else -> skip
  fi;
  lock_entry = 0
#else
  skip
#endif
}

/* Sets lock_must_wait if a window of another thread of process p is open on
 * `range`: the flag first (none ever opened: go), then the records of the
 * process, one step each. */
inline must_wait_for_a_window_on(p, tls, range) {
  lock_must_wait = false;
  if
  :: !windows_opened[p] -> skip
  :: else ->
     lock_scan = 0;
     do
     :: atomic {
          /* Past the records that are not scanned (the caller's own, other
           * processes'): they are not read. */
          do
          :: lock_scan < TLS_SLOTS && !SCANNED(p, tls, lock_scan) -> lock_scan++
          :: else -> break
          od;
          if
          :: lock_scan == TLS_SLOTS -> lock_scan = 0; break
          :: else ->
             lock_must_wait = WINDOW_ON(lock_scan, range);
             lock_scan++;
             if
             :: lock_must_wait -> lock_scan = 0; break
             :: else -> skip
             fi
          fi
        }
     od
  fi
}

/* Waits until no window of another thread of process p is open on `range`.
 * q: the caller's futex queue entry. */
inline wait_for_windows_on(p, tls, q, range) {
  must_wait_for_a_window_on(p, tls, range);  /* the polling phase */
  do
  :: !lock_must_wait -> break
  :: else ->
     sleeping_unmappers[p]++;
     lock_word_seen = UNMAPPER_WORD(p);
     must_wait_for_a_window_on(p, tls, range);
     if
     :: lock_must_wait ->
        /* Sleeps only while the word still holds what we read. No timeout:
         * the code's 10 ms is a fallback, not relied on. */
        futex_enqueue(q, UNMAPPER_FUTEX(p), ALL_BITS, false, UNMAPPER_WORD(p),
                      lock_word_seen, lock_futex_result);
        if
        :: lock_futex_result == F_WOKEN ->
           futex_sleep_or_signal(q, tls, lock_futex_result, false)
        :: else -> skip
        fi
     :: else -> skip
     fi;
     atomic {
       if
       :: sleeping_unmappers[p] > 0 -> sleeping_unmappers[p]--
       :: else -> skip
       fi
     }
  od;
  atomic { lock_word_seen = 0; lock_futex_result = 0 }
}

inline begin_unmap(p, tls, q, range) {
#ifdef UNMAPPERS_HINT
  atomic {
    unmap_depth[tls]++;
    unmappers[p]++
  };
#endif
  SIGNAL_POINT(tls);  /* e.g. a handler that waits at a barrier while we unmap */
#if defined(BROKEN_UNMAP_IGNORES_EXITERS)
  skip
#elif defined(BROKEN_NESTED_UNMAP_SKIPS_ALL)
  if
  :: window_depth[tls] == 0 -> wait_for_windows_on(p, tls, q, range)
  :: else -> skip  /* inside its own thread's window: waits for nobody */
  fi
#else
  wait_for_windows_on(p, tls, q, range)
#endif
}

inline end_unmap(p, tls) {
#ifdef UNMAPPERS_HINT
  atomic {
    if
    :: unmappers[p] > 0 -> unmappers[p]--
    :: else -> skip
    fi;
    unmap_depth[tls]--
  }
#else
  skip
#endif
}
