/* The private wait path (src/barrier/wait_on_wake_slot.h and .cc, src/barrier/arrive.h), checked
 * exhaustively by spin.
 *
 * THREADS threads share one private barrier of COUNT (<= THREADS) and each
 * waits at it WAITS times; every COUNT arrivals form a round. The barrier
 * object may be released (freed, unmapped: the flag `released`) by any thread
 * the instant its wait of the final round returned. The wake slot lives in
 * the library's static memory and is never released; it counts the
 * barrier's arrivals and carries its open round. A wait reads the object
 * (its constants) once, before it arrives.
 *
 * Checked:
 *  - no access to the object after it was released: every read or write of
 *    the object asserts !released;
 *  - no lost wake-up: a thread blocked for ever is an invalid end state;
 *  - it is a barrier: nobody returns from round r before COUNT threads
 *    arrived at r, and each round has exactly one serial thread.
 *
 * Rounds are numbers 0 .. ROUNDS without wrap-around (the code's 31-bit
 * wrap-aware comparison is plain `>` here). All steps are sequentially
 * consistent; the C++ orderings that make the code behave so are argued in
 * its comments (see README.md here).
 *
 * Broken variants (each must fail):
 *  BROKEN_WAKE_BEFORE_ADVANCE   the completer reads `sleepers` (and wakes)
 *                               before it advances the slot: the store-load
 *                               reordering that seq_cst forbids (lost wake-up)
 *  BROKEN_COMPLETER_WRITES_OBJECT  the completer also writes the object after
 *                               its advance (as a reset of a state word kept
 *                               there would: write after release)
 *  BROKEN_WAITER_POLLS_OBJECT   waiters read the object while they poll (as a
 *                               check of its constants would: read after
 *                               release)
 *  BROKEN_PLAIN_ADVANCE         the completer stores open_round instead of a
 *                               compare-and-swap maximum, so a preempted
 *                               completer moves it back (needs THREADS > COUNT)
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
#ifndef SPIN_POLLS
#define SPIN_POLLS 0
#endif
/* Rounds formed in all: THREADS * WAITS must be a multiple of COUNT. */
#define ROUNDS (THREADS * WAITS / COUNT)
#define FINAL_ROUND (ROUNDS - 1)

#define QUEUE_ENTRIES THREADS
#include "futex.pml"

/* The wake slot's arrival word: arrivals in the open round and the round
 * number (its sleepers and broken bits are not used). */
byte arrivals;
byte round;
bool released;  /* the object's memory was released */

/* The barrier's wake slot (wake_slots.h). Invariant: open_round only grows;
 * open_round > r means round r is complete. */
byte open_round;
byte slot_sleepers;

/* Ghost state, the specification of a barrier. */
byte arrived_in_round[ROUNDS + 1];
byte serials_in_round[ROUNDS + 1];

/* A read or write of barrier memory: legal only while it is not released. */
#define OBJECT_ACCESS assert(!released)

proctype thread(byte t) {
  byte waits_done = 0;
  byte arrivals_before;  /* arrive()'s fetch_add result: arrivals ... */
  byte my_round;         /* ... and round */
  byte polls;
  byte seen_open_round;
  byte futex_result;
  bool complete;
  bool advanced;

  do
  :: waits_done == WAITS -> break
  :: waits_done < WAITS ->
     /* load_live_barrier(): the object's constants, read before arriving. */
     atomic { OBJECT_ACCESS };
     /* arrive_on_slot(): one fetch_add on the slot; an arrival past COUNT
      * (between the round's last arrival and its reset) waits for the reset
      * and arrives again. */
     do
     :: atomic {
          arrivals_before = arrivals;
          my_round = round;
          arrivals++;
          if  /* ghost, in the same step: counted, and one serial per round */
          :: arrivals_before < COUNT -> arrived_in_round[my_round]++
          :: else -> skip
          fi;
          if
          :: arrivals_before + 1 == COUNT ->
             assert(serials_in_round[my_round] == 0);
             serials_in_round[my_round]++
          :: else -> skip
          fi
        };
        if
        :: arrivals_before < COUNT -> break
        :: else ->
           /* Polls the slot's arrival word until the round moves on. */
           (round != my_round)
        fi
     od;

     if
     :: arrivals_before + 1 != COUNT ->
        /* A waiter: from here on it touches only the slot. */
        complete = false;
        polls = 0;
        /* Spin and yield phases, abstracted to up to SPIN_POLLS polls. */
        do
        :: polls < SPIN_POLLS ->
#ifdef BROKEN_WAITER_POLLS_OBJECT
           atomic { OBJECT_ACCESS; complete = (open_round > my_round) };
#else
           complete = (open_round > my_round);
#endif
           polls++;
           if
           :: complete -> break
           :: else -> skip
           fi
        :: break
        od;
        if
        :: !complete ->
           /* Dekker with the completer: increment, then read the slot. */
           slot_sleepers++;
           do
           :: seen_open_round = open_round;
              if
              :: seen_open_round > my_round -> break
              :: else ->
                 /* Sleeps only while the slot still holds the value read;
                  * any return re-checks. */
                 futex_enqueue(t, FUTEX_SLOT, ALL_BITS, false, open_round,
                               seen_open_round, futex_result);
                 if
                 :: futex_result == F_WOKEN -> futex_sleep(t, futex_result)
                 :: else -> skip
                 fi
              fi
           od;
           slot_sleepers--
        :: else -> skip
        fi
     :: else ->
        /* The completer. */
#ifdef BROKEN_WAKE_BEFORE_ADVANCE
        if  /* too early: a waiter may count itself and sleep after this read */
        :: slot_sleepers != 0 -> futex_wake(FUTEX_SLOT, ALL_BITS, true)
        :: else -> skip
        fi;
#endif
        /* The reset of the slot's arrival word, then the advance. */
        atomic { arrivals = 0; round = my_round + 1 };
        /* advance_open_round: a CAS maximum, never backwards. */
#ifdef BROKEN_PLAIN_ADVANCE
        open_round = my_round + 1;
#else
        seen_open_round = open_round;
        advanced = false;
        do
        :: !(my_round + 1 > seen_open_round) || advanced -> break
        :: else ->
           atomic {
             if
             :: open_round == seen_open_round ->
                open_round = my_round + 1;
                advanced = true
             :: else -> seen_open_round = open_round
             fi
           }
        od;
#endif
#ifdef BROKEN_COMPLETER_WRITES_OBJECT
        atomic { OBJECT_ACCESS };
#endif
#ifndef BROKEN_WAKE_BEFORE_ADVANCE
        /* Dekker with the waiters: the advance, then the read of sleepers;
         * wakes every sleeper of the slot (they all re-check). */
        if
        :: slot_sleepers != 0 -> futex_wake(FUTEX_SLOT, ALL_BITS, true)
        :: else -> skip
        fi
#endif
     fi;

     /* Returned from round my_round. */
     assert(arrived_in_round[my_round] == COUNT);
     waits_done++;
     /* Scratch values are dead here: clear them so that equal states match. */
     d_step {
       arrivals_before = 0; polls = 0; seen_open_round = 0;
       futex_result = 0; complete = false; advanced = false
     };
     /* The program may release the barrier's memory the instant a wait of
      * the final round returned. */
     if
     :: my_round == FINAL_ROUND -> atomic { released = true }
     :: true -> skip
     fi
  od
}

init {
  byte t = 0;
  atomic {
    do
    :: t < THREADS -> run thread(t); t++
    :: else -> break
    od
  }
}
