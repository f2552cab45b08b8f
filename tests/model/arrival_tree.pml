/* The arrival tree of private barriers (src/barrier/arrival_tree.h and .cc,
 * arrive_on_tree), with the private path's completion and wait around it
 * (src/barrier/wait_on_wake_slot.h and .cc), checked exhaustively by spin.
 *
 * THREADS threads share one private barrier of COUNT and each waits at it
 * WAITS times; every COUNT arrivals form a round. THREADS may exceed COUNT:
 * an arrival that finds its round full waits for the round's reset and
 * counts in the next one. (A program whose threads all wait WAITS times
 * can then only end if WAITS = 1 and COUNT divides THREADS. With
 * SHARED_ROUNDS = R instead, the threads share R rounds' worth of waits:
 * before each wait a thread takes one of the R * COUNT waits still to do,
 * and it ends when none is left, as threads that take work items from a
 * common queue; that program always ends, and lets threads that returned
 * arrive again while others are still waiting for a reset.) The barrier
 * has LEAVES leaves (2 <= LEAVES <= COUNT, as plan_arrival_tree chooses
 * them) whose capacities are COUNT / LEAVES, one more for the first
 * COUNT % LEAVES; they sum to COUNT.
 *
 * The protocol (arrival_tree.h, steps 1-3):
 *  1. read the root (the slot's arrival word): its round r and its set of
 *     carried leaves (bit i: leaf i); a full set means r is over (step 3);
 *  2. from the thread's first leaf on (the leaf of its CPU: any leaf here,
 *     as the CPU is only a hint), each leaf in turn: a leaf word is (round,
 *     arrivals); one that names an earlier round is empty in r, one that
 *     names a later round means r is over (read the root again, step 1); a
 *     full leaf sends the thread on to the next one; otherwise a CAS counts
 *     the thread. The arrival whose CAS fills a leaf carries it
 *     (carry_leaf): a loop of a load of the root and a CAS that adds the
 *     leaf's bit, which stops without carrying if the root names another
 *     round or holds the bit already (so carrying is idempotent). The carry
 *     that makes the set full completes round r, as a flat completer
 *     (complete_round): reset of the root, advance of the slot's open round
 *     (CAS maximum), wake of the slot's sleepers;
 *  3. every leaf full in r (or the root's set full): wait for the root's
 *     reset (wait_for_slot_reset) and start again at 1.
 * With ABANDON=1, thread 0, in its final wait, may leave it for good (a
 * longjmp out of a signal handler) right after its filling CAS, before its
 * carry, or right after a carry that did not complete the round (before
 * the code clears its record of the filling). Before it leaves, the
 * wrapper's finish (finish_interrupted_tree_arrival) runs on it: if the
 * leaf it filled is full in r, it carries it (a second carry of it changes
 * nothing), and if that carry completes the round, it completes it
 * (reset, advance, wake); that round's serial is the finish, not a return.
 * The configuration must make its final wait the final round, so that the
 * others need no more partners. (Not modelled: a jump before the filling
 * CAS or after a failed one, where the thread was not counted and its round
 * legitimately waits for an arrival that never comes; a jump after the
 * carry that completes the round, which, as on a flat barrier, leaves the
 * round unreleased: arrival_tree.h's "Not covered".)
 * Waiters wait as on the flat private path (private_path.pml): up to
 * SPIN_POLLS polls of the open round, then the `sleepers` Dekker and a
 * FUTEX_WAIT on the open round. With SLEEP=0 a waiter instead blocks until
 * the open round is past its round (a wait that sees every advance: no
 * futex, no Dekker, which the other configurations check; it keeps the
 * larger configurations small).
 *
 * Checked:
 *  - it is a barrier: nobody returns from round r before COUNT threads were
 *    counted in r, nobody is counted in a round that is over (a successful
 *    leaf CAS happens while the root still names the thread's round, and
 *    never moves a leaf back to an earlier round), the root names the
 *    filler's round when it carries, and each round has exactly one serial
 *    (the carry that completes it, which finds all COUNT arrivals counted);
 *  - no invalid end state: nobody is blocked for ever (no lost wake-up, no
 *    wait for a reset that never comes), also when thread 0 abandons its
 *    wait: the others all finish;
 *  - with `progress` in models.txt: no cycle at all (nobody can go round
 *    the re-read of the root, or a CAS retry, for ever).
 *
 * Abstracted: rounds are numbers 0 .. ROUNDS without wrap-around (the
 * code's 31-bit wrap-aware comparison is plain `<` / `>` here, and a leaf's
 * 32-bit round is the root's round); compare_exchange_weak does not fail
 * spuriously (that only retries); the wait for the root's reset (polls,
 * then timed naps on the root's high half that nobody wakes) is one step
 * that blocks until the root's round changes; what a thread makes of a
 * word it read is part of the step that reads it; the thread's entry
 * (tracked->arrived_in), which only destroy and init read, and the places
 * of waiters (they only need to be below COUNT, which the code clamps) are
 * left out. All steps are sequentially consistent; the C++ orderings that
 * make the code behave so are argued in its comments.
 *
 * Broken variants (each must fail):
 *  BROKEN_NO_ROUND_TAG         leaves hold a bare count: no round, so they
 *                              are never emptied, and the next round finds
 *                              them full (deadlock: all wait for a reset)
 *  BROKEN_OTHER_ROUND_EMPTY    a leaf that names any other round is empty
 *                              (no later-round case): a stale arrival moves
 *                              a leaf back into a round that is over
 *                              (assertion; needs THREADS > COUNT)
 *  BROKEN_LATER_ROUND_RELOADS  a leaf that names a later round is loaded
 *                              again (the inner loop goes on) instead of
 *                              the root: a stale arrival spins on that leaf
 *                              while the round it is needed in waits for it
 *                              (a non-progress cycle; needs THREADS > COUNT)
 *  BROKEN_LATER_ROUND_JOINS    a leaf that names a later round counts as one
 *                              of the thread's round: a stale arrival is
 *                              counted into a round that is over (assertion;
 *                              needs THREADS > COUNT and a leaf of capacity
 *                              > 1, as a later round's leaf of capacity 1 is
 *                              full)
 *  BROKEN_CARRY_ONE            a carry sets bit 0 whichever leaf it carries:
 *                              the second leaf's carry finds it set and
 *                              changes nothing; the set is never full
 *                              (deadlock)
 *  BROKEN_NO_NEXT_LEAF         a full leaf sends the thread to wait for the
 *                              reset instead of on to the next leaf: the
 *                              round never fills (deadlock)
 *  BROKEN_PLAIN_ADVANCE        the completer stores the open round instead
 *                              of a CAS maximum: a preempted completer moves
 *                              it back (deadlock; needs THREADS > COUNT)
 *  BROKEN_ABANDON_WITHOUT_FINISH  the abandoning thread leaves without its
 *                              finish: a leaf it filled but had not carried
 *                              is never carried (deadlock; needs ABANDON)
 *  BROKEN_CARRY_TWICE_COUNTS   the root holds the sum of the carried leaves'
 *                              capacities, a carry is a fetch_add of the
 *                              capacity (as before the set), and the finish
 *                              carries too: a leaf carried by its filler
 *                              and again by the finish of an abandon after
 *                              that carry counts twice, the root passes
 *                              COUNT (assertion; needs ABANDON)
 */

#ifndef THREADS
#define THREADS 3
#endif
#ifndef COUNT
#define COUNT THREADS
#endif
#ifndef LEAVES
#define LEAVES 2
#endif
#ifndef WAITS
#define WAITS 2
#endif
#ifndef SPIN_POLLS
#define SPIN_POLLS 0
#endif
#ifndef SLEEP
#define SLEEP 1
#endif
#ifndef ABANDON
#define ABANDON 0
#endif
/* Rounds formed in all. */
#ifdef SHARED_ROUNDS
#define ROUNDS SHARED_ROUNDS
byte waits_left = SHARED_ROUNDS * COUNT;  /* waits no thread has taken yet */
#else
#define ROUNDS (THREADS * WAITS / COUNT)  /* COUNT must divide THREADS * WAITS */
#endif

/* plan_arrival_tree: COUNT / LEAVES each, one more for the first
 * COUNT % LEAVES leaves. */
#define CAPACITY(leaf) (COUNT / LEAVES + ((leaf) < COUNT % LEAVES -> 1 : 0))

/* The root's arrivals field: the set of leaves carried in its round (bit i:
 * leaf i), complete when it holds them all. BROKEN_CARRY_TWICE_COUNTS keeps
 * the earlier sum of the carried leaves' capacities, complete at COUNT. */
#define ALL_LEAVES ((1 << LEAVES) - 1)
#ifdef BROKEN_CARRY_TWICE_COUNTS
#define ROOT_FULL(arrivals) ((arrivals) >= COUNT)
#else
#define ROOT_FULL(arrivals) ((arrivals) == ALL_LEAVES)
#endif
#ifdef BROKEN_CARRY_ONE
#define LEAF_BIT(leaf) 1  /* bit 0, whichever leaf is carried */
#else
#define LEAF_BIT(leaf) (1 << (leaf))
#endif

#define QUEUE_ENTRIES THREADS
#include "futex.pml"

/* The root: the wake slot's arrival word (the leaves carried in the current
 * round, and that round). */
byte root_arrivals;
byte root_round;
/* The leaves' words (round << 32 | arrivals). All name round 0, empty. */
byte leaf_round[LEAVES];
byte leaf_count[LEAVES];

/* The wake slot: open_round only grows; open_round > r means round r is
 * complete. */
byte open_round;
byte slot_sleepers;

/* Ghost state, the specification of a barrier. */
byte arrived_in_round[ROUNDS + 1];
byte serials_in_round[ROUNDS + 1];

/* What a leaf's word means to an arrival of my_round (arrive_on_tree's
 * inner loop), decided where the word is read: V_TRY, `here` arrivals and
 * room for one more (a CAS follows); V_FULL, the next leaf; V_LATER, a later
 * round's arrivals: my_round is over, read the root again. */
#define V_TRY 0
#define V_FULL 1
#define V_LATER 2
#define V_COUNTED 3

/* carry_leaf's loop (C_*): a CAS to try; stopped without carrying (the root
 * names another round, or holds the leaf already); carried. */
#define C_TRY 0
#define C_NOT_CARRIED 1
#define C_CARRIED 2

inline classify_leaf_word() {
#ifdef BROKEN_NO_ROUND_TAG
  here = word_count;
#else
  if
  :: word_round == my_round -> here = word_count
  :: word_round < my_round -> here = 0  /* an earlier round's: empty now */
  :: word_round > my_round ->
#if defined(BROKEN_LATER_ROUND_JOINS)
     here = word_count  /* taken for a count of my_round */
#elif defined(BROKEN_OTHER_ROUND_EMPTY)
     here = 0  /* taken for an earlier round's */
#else
     here = 255  /* a later round's: not a count of ours */
#endif
  fi;
#endif
  if
  :: here == 255 -> verdict = V_LATER; round_is_over = true
  :: here != 255 && here >= CAPACITY(index) ->
     verdict = V_FULL;
#ifdef BROKEN_NO_NEXT_LEAF
     probe = LEAVES  /* no next leaf: on to step 3, the wait for the reset */
#else
     probe++  /* full: the next leaf */
#endif
  :: else -> verdict = V_TRY
  fi
}

/* What a root word read by carry_leaf(leaf, my_round) means: another round,
 * or the leaf already in the set: nothing to do; else a CAS. */
inline classify_root_word(leaf) {
  if
  :: seen_root_round != my_round || (seen_root & LEAF_BIT(leaf)) != 0 ->
     carry_state = C_NOT_CARRIED
  :: else -> carry_state = C_TRY
  fi
}

/* The ghost of a completing carry: the round's serial, once, and only with
 * every arrival of the round counted. */
inline count_serial() {
  assert(serials_in_round[my_round] == 0);
  serials_in_round[my_round]++;
  assert(arrived_in_round[my_round] == COUNT)
}

/* carry_leaf(leaf, my_round): adds leaf `leaf`, full in my_round, to the
 * root's set; completes = that made the set full. Idempotent: a root that
 * names another round, or holds the leaf already, is left alone. */
inline carry_leaf(leaf) {
  completes = false;
#ifdef BROKEN_CARRY_TWICE_COUNTS
  /* The earlier carry: a fetch_add of the leaf's capacity, whatever the
   * root holds. */
  atomic {
    root_arrivals = root_arrivals + CAPACITY(leaf);
    assert(root_arrivals <= COUNT);
    if
    :: root_arrivals == COUNT -> completes = true; count_serial()
    :: else -> skip
    fi
  }
#else
  atomic {
    seen_root_round = root_round;
    seen_root = root_arrivals;
    classify_root_word(leaf)
  };
  do
  :: carry_state != C_TRY -> break
  :: else ->
     /* compare_exchange_weak(root, root | bit); on failure root is what the
      * word holds now. */
     atomic {
       if
       :: root_round == seen_root_round && root_arrivals == seen_root ->
          root_arrivals = seen_root | LEAF_BIT(leaf);
          carry_state = C_CARRIED;
          if
          :: ROOT_FULL(root_arrivals) -> completes = true; count_serial()
          :: else -> skip
          fi
       :: else ->
          seen_root_round = root_round;
          seen_root = root_arrivals;
          classify_root_word(leaf)
       fi
     }
  od;
  carry_state = C_TRY; seen_root_round = 0; seen_root = 0
#endif
}

/* complete_round(my_round): the reset of the root, the advance of the
 * slot's open round, the wake of its sleepers. */
inline complete_round() {
  atomic { root_arrivals = 0; root_round = my_round + 1 };
  /* advance_open_round: a CAS maximum, never backwards. */
#ifdef BROKEN_PLAIN_ADVANCE
  open_round = my_round + 1;
#else
  seen_open_round = open_round;
  do
  :: !(my_round + 1 > seen_open_round) -> break
  :: else ->
     atomic {
       if
       :: open_round == seen_open_round -> open_round = my_round + 1
       :: else -> skip
       fi;
       seen_open_round = open_round  /* as the failed CAS returns it */
     }
  od;
#endif
  /* Dekker with the waiters: the advance, then the read of sleepers;
   * wakes every sleeper of the slot (they all re-check). */
  if
  :: slot_sleepers != 0 -> futex_wake(FUTEX_SLOT, ALL_BITS, true)
  :: else -> skip
  fi
}

proctype thread(byte t) {
  byte waits_done = 0;
  byte start;          /* first_leaf(current_cpu()) */
  byte probe;
  byte index;
  byte my_round;       /* step 1: the root's round */
  bool root_full;      /* ... and whether its set was full */
  bool round_is_over;
  byte word_round;     /* a leaf's word as last read (or as the failed CAS */
  byte word_count;     /* returned it) */
  byte here;           /* arrivals on that leaf in my_round */
  bool counted;        /* the CAS succeeded */
  byte verdict;        /* what the leaf word means (V_* above) */
  bool completer;
  byte filled_leaf;    /* the leaf this arrival filled; LEAVES: none */
  byte seen_root_round;  /* carry_leaf: the root as last read */
  byte seen_root;
  byte carry_state;    /* C_* above */
  bool completes;      /* carry_leaf's result */
  byte polls;
  byte seen_open_round;
  byte futex_result;
  bool complete;       /* a poll saw the round complete */
  bool slept;          /* counted in `sleepers` */

  filled_leaf = LEAVES;
  do
#ifdef SHARED_ROUNDS
  :: atomic { waits_left == 0 -> break }
  :: atomic { waits_left > 0 -> waits_left-- };
#else
  :: waits_done == WAITS -> break
  :: waits_done < WAITS ->
#endif
     /* Any leaf first: the CPU is only a hint. Chosen once per wait, as
      * the code computes `start` once before its loop. */
     if
     :: LEAVES > 0 -> start = 0
     :: LEAVES > 1 -> start = 1
     :: LEAVES > 2 -> start = 2
     :: LEAVES > 3 -> start = 3
     fi;
     counted = false;
     do  /* for (;;) */
     :: counted -> break
     :: else ->
        /* Step 1. */
        atomic {
          my_round = root_round;
          root_full = ROOT_FULL(root_arrivals);
          round_is_over = root_full;
          probe = 0
        };
        /* Step 2: from the first leaf on, every leaf once. */
        do
        :: counted || round_is_over || probe == LEAVES -> break
        :: else ->
           atomic {
             index = (start + probe) % LEAVES;
             word_round = leaf_round[index];
             word_count = leaf_count[index];
             classify_leaf_word()
           };
           do
#ifdef BROKEN_LATER_ROUND_RELOADS
           :: verdict == V_LATER ->  /* loads the leaf again, not the root */
              atomic {
                word_round = leaf_round[index];
                word_count = leaf_count[index];
                classify_leaf_word()
              }
           :: verdict == V_FULL || verdict == V_COUNTED -> break
#else
           :: verdict != V_TRY -> break
#endif
           :: verdict == V_TRY ->
              /* compare_exchange(word, (my_round, here + 1)); on failure
               * word is what the leaf holds now, and the loop goes on with
               * it. */
              atomic {
                if
                :: leaf_round[index] == word_round && leaf_count[index] == word_count ->
#ifndef BROKEN_NO_ROUND_TAG
                   leaf_round[index] = my_round;
#endif
                   leaf_count[index] = here + 1;
                   counted = true;
                   verdict = V_COUNTED;
                   /* ghost: counted in a round that the root still names,
                    * never moving a leaf back, never past COUNT */
                   assert(root_round == my_round);
                   assert(word_round <= my_round);
                   arrived_in_round[my_round]++;
                   assert(arrived_in_round[my_round] <= COUNT)
                :: else ->
                   word_round = leaf_round[index];
                   word_count = leaf_count[index];
                   classify_leaf_word()
                fi
              }
           od
        od;
        atomic {
          /* Whether this arrival filled its leaf; the rest is dead now. */
          filled_leaf = (counted && here + 1 == CAPACITY(index) -> index : LEAVES);
          probe = 0; index = 0; word_round = 0; word_count = 0; here = 0;
          verdict = V_TRY
        };
        if
        :: counted -> skip
        :: !counted && round_is_over && !root_full ->
           skip  /* a leaf of a later round: read the root again */
        :: else ->
           /* Step 3: every leaf full in my_round (or the root full): wait
            * for the root's reset, then start again. */
           root_full = false;
           (root_round != my_round)
        fi
     od;
     atomic {
       /* Dead from here on: cleared so that equal states match. */
       start = 0; root_full = false; round_is_over = false; counted = false
     };

     /* The arrival that filled its leaf carries it to the root; the carry
      * that completes the root's set makes it the completer. The root still
      * names my_round and lacks the leaf: it cannot be full without it. */
     completer = false;
     if
     :: filled_leaf < LEAVES ->
#if ABANDON
        /* Thread 0, in its final wait, may be taken out of it here, between
         * its filling CAS and its carry (a longjmp out of a signal handler). */
        if
        :: t == 0 && waits_done + 1 == WAITS -> goto abandon
        :: true -> skip
        fi;
#endif
        assert(root_round == my_round);
        carry_leaf(filled_leaf);
        completer = completes;
#if ABANDON
        /* ... or after a carry that did not complete the round, before the
         * record of the filling is cleared: the finish carries again. */
        if
        :: !completer && t == 0 && waits_done + 1 == WAITS -> goto abandon
        :: true -> skip
        fi;
#endif
        filled_leaf = LEAVES; completes = false
     :: else -> skip
     fi;

     if
#if SLEEP == 0
     :: !completer -> (open_round > my_round)
#else
     :: !completer ->
        /* A waiter, as on the flat private path (private_path.pml): it
         * touches only the slot. Each read of the open round is one step
         * with what the waiter makes of it. */
        polls = 0;
        /* Spin and yield phases, abstracted to up to SPIN_POLLS polls. */
        do
        :: atomic { polls < SPIN_POLLS && open_round > my_round -> complete = true };
           break
        :: atomic { polls < SPIN_POLLS && open_round <= my_round -> polls++ }
        :: break
        od;
        if
        :: complete -> skip
        :: else ->
           /* Dekker with the completer: increment, then read the slot. */
           slot_sleepers++;
           do
           :: atomic { open_round > my_round -> seen_open_round = 0; futex_result = 0 };
              break
           :: atomic { open_round <= my_round -> seen_open_round = open_round };
              /* Sleeps only while the slot still holds the value read; any
               * return re-checks. */
              futex_enqueue(t, FUTEX_SLOT, ALL_BITS, false, open_round,
                            seen_open_round, futex_result);
              if
              :: futex_result == F_WOKEN -> futex_sleep(t, futex_result)
              :: else -> skip
              fi
           od;
           slept = true
        fi
#endif
     :: else ->
        /* The completer: the reset of the root, then the advance. */
        complete_round()
     fi;

     /* Returned from round my_round (a sleeper's decrement of `sleepers`
      * is the last it does before it returns). */
     atomic {
       if
       :: slept -> slot_sleepers--
       :: else -> skip
       fi;
       assert(arrived_in_round[my_round] == COUNT);
#ifndef SHARED_ROUNDS
       waits_done++;
#endif
       /* Scratch values are dead here: cleared so that equal states match. */
       polls = 0; seen_open_round = 0; futex_result = 0; complete = false;
       slept = false; completer = false; my_round = 0
     }
  od;
  goto done;

abandon:
  /* finish_interrupted_tree_arrival, on this thread before it leaves the
   * barrier for good: the leaf it was filling, if full in my_round, is
   * carried (again, harmlessly, if its own carry ran), and a carry that
   * completes the round completes it. */
#ifndef BROKEN_ABANDON_WITHOUT_FINISH
  atomic {
    if
    :: leaf_round[filled_leaf] == my_round && leaf_count[filled_leaf] >= CAPACITY(filled_leaf) ->
       completes = true  /* full: carry it */
    :: else -> completes = false
    fi
  };
  if
  :: completes ->
     carry_leaf(filled_leaf);
     if
     :: completes -> complete_round()
     :: else -> skip
     fi
  :: else -> skip
  fi;
#endif
done:
  skip
}

init {
  byte t = 0;
  atomic {
    assert(2 <= LEAVES && LEAVES <= COUNT && LEAVES <= 4);
#ifndef SHARED_ROUNDS
    assert(THREADS * WAITS % COUNT == 0);
#else
    assert(!ABANDON);  /* its final wait is the one with no partner */
#endif
    do
    :: t < THREADS -> run thread(t); t++
    :: else -> break
    od
  }
}
