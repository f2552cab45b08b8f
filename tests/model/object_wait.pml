/* The object wait path (src/barrier/wait_on_object.cc, src/barrier/arrive.h),
 * destroy and init (src/barrier/barrier_init.cc), for process-shared
 * barriers in shared memory.
 *
 * Barrier objects: B1, the barrier under test (COUNT participants), and B2,
 * a second barrier of count 2 that a signal handler may wait at. Their state
 * word is arrivals[b], round[b] and the sleepers bit sleepers[b]; gen[b] is
 * the generation init gave them, live[b] stands for the integrity check
 * (cleared by destroy; it covers the generation, so it matches only a
 * waiter of that generation). The futex word is the high half of the state
 * word, round << 1 | sleepers.
 *
 * B1 is mapped in every process; released_view[p] says that process p has
 * unmapped its view. Every access a thread of p makes to B1 from user space
 * asserts !released_view[p] (OBJECT_ACCESS). The kernel's accesses do not:
 * FUTEX_WAIT and process_vm_readv answer EFAULT on an unmapped page, which
 * the code handles; only FUTEX_WAKE needs the waker's mapping (futex.pml).
 *
 * Rule 1 of the code: a waiter holds an exit window on the barrier from
 * before its arrival until it has seen the release or set the sleepers bit,
 * and the completer until its wake has been issued. Rule 2: a sleeper reads
 * the object only through the kernel.
 *
 * Identity (classify): a waiter remembers the generation it began its wait
 * with (the code's constants, read before its window; here in its arrival's
 * step). Another generation in the bytes means another barrier lives there
 * now: the waiter's round is over. Then the round, then the check.
 *
 * Broken variants (each must fail):
 *  BROKEN_WINDOW_AFTER_ARRIVAL         the window opens after the arrival
 *  BROKEN_WINDOW_CLOSED_BEFORE_ARMING  the window closes right after the
 *                                      arrival: polls and CAS without it
 *  BROKEN_WAKE_BEFORE_EXCHANGE         the completer reads the sleepers bit
 *                                      and wakes, then stores the new round
 *  BROKEN_WAKE_OUTSIDE_WINDOW          the completer closes its window before
 *                                      its wake
 *  BROKEN_SLEEPER_READS_OBJECT         a woken sleeper re-reads the object in
 *                                      user space (breaks rule 2)
 *  BROKEN_CLASSIFY_WITHOUT_GENERATION  classify compares the round and a check
 *                                      that does not cover the generation
 *                                      (the rule before generations: a
 *                                      same-count re-init repeats the check)
 *
 * Needs: COUNT, ROUNDS (rounds 0 .. ROUNDS are reached), PROCS, SPIN_POLLS,
 * GENERATIONS (default 1: no re-init); futex.pml, signals.pml,
 * unmap_lock.pml; the caller declares OBJECT_WAIT_LOCALS and
 * UNMAP_LOCK_LOCALS.
 */

#ifndef GENERATIONS
#define GENERATIONS 1
#endif
#ifndef PERIODIC_RECHECK
#define PERIODIC_RECHECK 0
#endif

#define B1 0
#define B2 1
#define COUNT_OF(b) ((b) == B1 -> COUNT : 2)

byte arrivals[2];
byte round[2];
bool sleepers[2];
byte gen[2];
bool live[2] = true;
bool released_view[PROCS];

/* Ghost state for B1, the specification of a barrier: per generation and
 * round. */
#define GHOST(g, r) ((g) * (ROUNDS + 1) + (r))
byte arrived_in_round[GENERATIONS * (ROUNDS + 1)];
byte serials_in_round[GENERATIONS * (ROUNDS + 1)];

#define RELEASED(b, p) ((b) == B1 && released_view[p])
#define OBJECT_ACCESS(b, p) assert(!RELEASED(b, p))
#define FUTEX_WORD(b) (round[b] * 2 + sleepers[b])
#define SLEEPING_FUTEX_VALUE(r) ((r) * 2 + 1)
#define WAKE_BIT(r) (1 << ((r) & 1))

/* The integrity check matches the constants of a waiter of generation g. */
#ifdef BROKEN_CLASSIFY_WITHOUT_GENERATION
#define CHECK_MATCHES(b, g) (live[b])
#define OTHER_GENERATION(b, g) false
#else
#define CHECK_MATCHES(b, g) (live[b] && gen[b] == (g))
#define OTHER_GENERATION(b, g) (gen[b] != (g))
#endif

#define OBJECT_WAIT_LOCALS \
  byte wait_arrivals_before; byte wait_round; byte wait_gen; bool wait_bit_was_set; \
  byte wait_polls; bool wait_over; bool wait_must_sleep; bool wait_cas_done; \
  byte seen_round; byte seen_arrivals; bool seen_sleepers; \
  byte wait_futex_result; bool wait_still_open; bool wait_timed_out; bool destroy_cleared_check

/* classify: the state word was read into seen_*; then the generation and
 * the check. */
inline round_is_over(b, p) {
  if
  :: seen_round != wait_round -> wait_over = true
  :: else ->
     atomic {
       OBJECT_ACCESS(b, p);
       wait_over = OTHER_GENERATION(b, wait_gen) || !CHECK_MATCHES(b, wait_gen)
     }
  fi
}

/* Inside the window: poll, then set the sleepers bit. Sets wait_must_sleep
 * if the bit is set (by us or another sleeper) and the round still open. */
inline arm_sleep_unless_over(b, p, tls) {
  wait_over = false;
  wait_must_sleep = false;
  wait_cas_done = false;
  wait_polls = 0;
  /* The spin and yield phases: up to SPIN_POLLS polls. */
  do
  :: wait_polls < SPIN_POLLS ->
     atomic { OBJECT_ACCESS(b, p); seen_round = round[b] };
     round_is_over(b, p);
     wait_polls++;
     if
     :: wait_over -> break
     :: else -> SIGNAL_POINT(tls)
     fi
  :: break
  od;
  if
  :: !wait_over ->
     atomic {
       OBJECT_ACCESS(b, p);
       seen_round = round[b]; seen_arrivals = arrivals[b]; seen_sleepers = sleepers[b]
     };
     do
     :: round_is_over(b, p);
        if
        :: wait_over -> break
        :: !wait_over && seen_sleepers -> wait_must_sleep = true; break
        :: !wait_over && !seen_sleepers ->
           /* compare_exchange of the whole state word; a failure reloads. */
           atomic {
             OBJECT_ACCESS(b, p);
             if
             :: round[b] == seen_round && arrivals[b] == seen_arrivals &&
                sleepers[b] == seen_sleepers ->
                sleepers[b] = true;
                wait_cas_done = true
             :: else ->
                seen_round = round[b]; seen_arrivals = arrivals[b]; seen_sleepers = sleepers[b]
             fi
           };
           if
           :: wait_cas_done -> wait_must_sleep = true; break
           :: else -> skip
           fi
        fi
     od
  :: else -> skip
  fi;
  /* What was read is dead now: clear it so that equal states match. */
  atomic {
    seen_round = 0; seen_arrivals = 0; seen_sleepers = false;
    wait_polls = 0; wait_over = false; wait_cas_done = false
  }
}

/* After the window: sleep until the round is over, reading the object only
 * through the kernel. q: the futex queue entry. With PERIODIC_RECHECK the
 * sleep's periodic timeout is modelled (signals.pml); the models that do
 * not set it show that no wake-up depends on it. */
inline sleep_until_round_over(b, p, tls, q) {
  do
  :: /* FUTEX_WAIT_BITSET on round << 1 | 1 with this round's wake bit:
      * sleeps only while the round is open with the bit set; EFAULT once
      * this process's view is gone. */
     futex_enqueue(q, FUTEX_BARRIER_BASE + b, WAKE_BIT(wait_round), RELEASED(b, p),
                   FUTEX_WORD(b), SLEEPING_FUTEX_VALUE(wait_round), wait_futex_result);
     if
     :: wait_futex_result == F_WOKEN ->
        futex_sleep_or_signal(q, tls, wait_futex_result, PERIODIC_RECHECK && !wait_timed_out)
     :: else -> skip
     fi;
     if
     :: wait_futex_result == F_EINTR -> skip  /* a handler ran: wait again */
     :: wait_futex_result == F_EAGAIN || wait_futex_result == F_EFAULT -> break
     :: wait_futex_result == F_WOKEN || wait_futex_result == F_SPURIOUS ||
        wait_futex_result == F_TIMEDOUT ->
#ifdef BROKEN_SLEEPER_READS_OBJECT
        atomic {
          OBJECT_ACCESS(b, p);
          wait_still_open = !OTHER_GENERATION(b, wait_gen) && round[b] == wait_round &&
                            CHECK_MATCHES(b, wait_gen);
          wait_timed_out = wait_futex_result == F_TIMEDOUT
        };
#else
        /* classify_without_fault: process_vm_readv of the object, a kernel
         * read that answers "unmapped" instead of faulting. */
        atomic {
          wait_still_open = !RELEASED(b, p) && !OTHER_GENERATION(b, wait_gen) &&
                            round[b] == wait_round && CHECK_MATCHES(b, wait_gen);
          wait_timed_out = wait_futex_result == F_TIMEDOUT
        };
#endif
        if
        :: wait_still_open -> skip
        :: else -> break
        fi
     fi
  od
}

/* pthread_barrier_wait on the object path, by a thread of process p with
 * thread-local state tls and futex queue entry q. Leaves its round in
 * wait_round. */
inline object_wait(b, p, tls, q) {
#ifndef BROKEN_WINDOW_AFTER_ARRIVAL
  enter_exit_window(p, tls, OBJECT_OF(b));  /* rule 1: before the arrival */
#endif
  /* arrive(): an arrival past the count waits for the reset and retries. */
  do
  :: atomic {
       OBJECT_ACCESS(b, p);
       wait_gen = gen[b];
       wait_arrivals_before = arrivals[b];
       wait_round = round[b];
       arrivals[b]++;
       if  /* ghost, in the same step: counted, and one serial per round */
       :: (b) == B1 && wait_arrivals_before < COUNT ->
          arrived_in_round[GHOST(wait_gen, wait_round)]++
       :: else -> skip
       fi;
       if
       :: (b) == B1 && wait_arrivals_before + 1 == COUNT ->
          assert(serials_in_round[GHOST(wait_gen, wait_round)] == 0);
          serials_in_round[GHOST(wait_gen, wait_round)]++
       :: else -> skip
       fi
     };
     if
     :: wait_arrivals_before < COUNT_OF(b) -> break
     :: else -> atomic { (round[b] != wait_round || RELEASED(b, p)) -> OBJECT_ACCESS(b, p) }
     fi
  od;
#ifdef BROKEN_WINDOW_AFTER_ARRIVAL
  enter_exit_window(p, tls, OBJECT_OF(b));
#endif
  SIGNAL_POINT(tls);
  if
  :: wait_arrivals_before + 1 == COUNT_OF(b) ->
     /* The completer. */
#ifdef BROKEN_WAKE_BEFORE_EXCHANGE
     atomic { OBJECT_ACCESS(b, p); wait_bit_was_set = sleepers[b] };
     if
     :: wait_bit_was_set ->  /* too early: a sleeper may enqueue after it */
        futex_wake(FUTEX_BARRIER_BASE + b, WAKE_BIT(wait_round), !RELEASED(b, p))
     :: else -> skip
     fi;
     atomic {
       OBJECT_ACCESS(b, p);
       arrivals[b] = 0; round[b] = wait_round + 1; sleepers[b] = false
     };
#else
     /* The exchange: releases the round and reads the sleepers bit in one
      * step, so no sleeper can set it unseen. */
     atomic {
       OBJECT_ACCESS(b, p);
       wait_bit_was_set = sleepers[b];
       arrivals[b] = 0; round[b] = wait_round + 1; sleepers[b] = false
     };
     SIGNAL_POINT(tls);
#ifdef BROKEN_WAKE_OUTSIDE_WINDOW
     leave_exit_window(p, tls);
#endif
     /* Wakes this round's sleepers (its wake bit only), through this
      * process's view, which the window keeps mapped. */
     if
     :: wait_bit_was_set ->
        futex_wake(FUTEX_BARRIER_BASE + b, WAKE_BIT(wait_round), !RELEASED(b, p))
     :: else -> skip
     fi;
#endif
#ifndef BROKEN_WAKE_OUTSIDE_WINDOW
     leave_exit_window(p, tls)
#else
     skip
#endif
  :: else ->
#ifdef BROKEN_WINDOW_CLOSED_BEFORE_ARMING
     leave_exit_window(p, tls);
     arm_sleep_unless_over(b, p, tls);
#else
     arm_sleep_unless_over(b, p, tls);
     leave_exit_window(p, tls);
#endif
     if
     :: wait_must_sleep -> sleep_until_round_over(b, p, tls, q)
     :: else -> skip
     fi
  fi
}

/* Scratch values are dead after a wait: clear them so that equal states
 * match. Keeps wait_round and wait_gen. */
inline clear_wait_scratch() {
  d_step {
    wait_arrivals_before = 0; wait_bit_was_set = false; wait_polls = 0;
    wait_over = false; wait_must_sleep = false; wait_cas_done = false;
    seen_round = 0; seen_arrivals = 0; seen_sleepers = false;
    wait_futex_result = 0; wait_still_open = false; wait_timed_out = false
  }
}

/* pthread_barrier_destroy of an object-path barrier: EBUSY while a round is
 * incomplete; else clear the check and wait out this process's windows. */
inline barrier_destroy(b, p, tls, q) {
  /* Reading the arrivals and clearing the check are one step here: the
   * model's destroyers come after the final round, when no arrival can
   * change the count any more. */
  atomic {
    OBJECT_ACCESS(b, p);
    if
    :: arrivals[b] == 0 -> live[b] = false; destroy_cleared_check = true
    :: else -> skip  /* EBUSY */
    fi
  };
  if
  :: destroy_cleared_check ->
     /* Waits out the windows of this process's other threads on the
      * barrier's 32 bytes. */
     begin_unmap(p, tls, q, OBJECT_OF(b));
     end_unmap(p, tls)
  :: else -> skip
  fi;
  destroy_cleared_check = false
}

/* pthread_barrier_init over destroyed bytes, with the same count: a new
 * generation (never the old one) with its check, then the state word, whose
 * first round is anything but the bytes' current one (after a destroy it
 * comes from the generation, so it may be the round an old straggler sleeps
 * in). EBUSY (blocked waiters) is not modelled: the model inits only after
 * the old barrier's last round. */
inline barrier_init_again(b, p) {
  atomic {
    OBJECT_ACCESS(b, p);
    assert(gen[b] + 1 < GENERATIONS);
    gen[b]++;
    live[b] = true
  };
  atomic {
    OBJECT_ACCESS(b, p);
    arrivals[b] = 0;
    sleepers[b] = false;
    if
    :: round[b] != 0 -> round[b] = 0
    :: round[b] != 2 -> round[b] = 2
    fi
  }
}

/* munmap of process p's view of barrier b, through the unmap lock. */
inline munmap_view(b, p, tls, q) {
  begin_unmap(p, tls, q, OBJECT_OF(b));
  atomic {
    released_view[p] = true;
    end_unmap(p, tls)
  }
}
