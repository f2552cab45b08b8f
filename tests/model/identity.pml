/* A barrier's identity (issue 13): the generation that init gives every
 * barrier, and classify() comparing it first (src/barrier/wait_on_object.cc,
 * src/barrier/barrier_init.cc), checked exhaustively by spin.
 *
 * Threads S and T wait at X, a process-shared barrier of count 2 in shared
 * memory (B1). T, back from the round, destroys X and initialises a new
 * barrier Y in the same bytes with the same count; init may start Y at the
 * very round S waited in at X. T then hands Y over to S (y_ready) and both
 * wait at Y. S may still be inside its wait at X all that time: woken but
 * not yet run, or not yet asleep, so that it would sleep on Y's futex word
 * (the same word, and, with the same round and the sleepers bit set by T,
 * the same value). S must leave its wait at X (the round is over: another
 * generation lives in the bytes now) and must not be captured by Y, where
 * T waits for S.
 *
 * The sleepers' periodic re-check is modelled (PERIODIC_RECHECK, see
 * signals.pml): the code relies on it when the straggler sleeps on the new
 * barrier's word, which no wake of the old barrier reaches.
 *
 * Broken variant: BROKEN_CLASSIFY_WITHOUT_GENERATION (object_wait.pml): S
 * finds Y's round open, sleeps in it for good, and T waits for S at Y: an
 * invalid end state.
 */

#define COUNT 2
#define PROCS 1
/* Rounds: X's 0; Y's first is 0 or 2 (anything but X's current 1), and
 * the next. */
#define ROUNDS 3
#define GENERATIONS 2  /* X, then Y */
#define PERIODIC_RECHECK 1
#ifndef SPIN_POLLS
#define SPIN_POLLS 0
#endif
#define HANDLER 0

#define S_TLS 0
#define T_TLS 1
#define TLS_SLOTS 2
#define PROC_OF(tls) 0
#define QUEUE_ENTRIES 2

#include "futex.pml"
#include "signals.pml"
#include "unmap_lock.pml"
#include "object_wait.pml"

bool y_ready;  /* T has initialised Y and handed it to S */

/* One wait at B1, as X or as Y; the barrier's specification holds. */
inline wait_and_check(tls) {
  object_wait(B1, 0, tls, tls);
  assert(arrived_in_round[GHOST(wait_gen, wait_round)] == COUNT);
  clear_wait_scratch();
  wait_round = 0;
  wait_gen = 0
}

proctype straggler() {
  OBJECT_WAIT_LOCALS;
  UNMAP_LOCK_LOCALS;
  wait_and_check(S_TLS);  /* at X */
  (y_ready);
  wait_and_check(S_TLS)   /* at Y */
}

proctype reinitialiser() {
  OBJECT_WAIT_LOCALS;
  UNMAP_LOCK_LOCALS;
  wait_and_check(T_TLS);  /* at X */
  barrier_destroy(B1, 0, T_TLS, T_TLS);
  barrier_init_again(B1, 0);
  y_ready = true;
  wait_and_check(T_TLS)   /* at Y */
}

init {
  atomic {
    run straggler();
    run reinitialiser()
  }
}
