/* The kernel's futex, as the models use it.
 *
 * A futex word is named by a small number (FUTEX_* below). Every thread of
 * execution that can sleep has a queue entry q (0 .. QUEUE_ENTRIES-1): a
 * model thread, or a signal handler running on one (a handler sleeps in its
 * own wait; the interrupted wait was dequeued by the signal first).
 *
 * FUTEX_WAIT compares the word and enqueues in one atomic step, as the kernel
 * does under its hash-bucket lock; FUTEX_WAKE dequeues every sleeper of the
 * word whose bitset meets the waker's, in one step. A sleeper then returns
 * once dequeued, or earlier without a wake: a spurious wake-up, a timeout or
 * an EINTR with no handler, all drawn from the budget `spurious_left`
 * (SPURIOUS, 0 by default). With a budget of 0 nothing but a wake ends a
 * sleep, so a lost wake-up leaves its sleeper blocked for ever, which spin
 * reports as an invalid end state. With a budget of 1 the model also runs
 * the re-check paths that only spurious returns reach.
 *
 * Needs: QUEUE_ENTRIES defined before the include.
 */

#ifndef SPURIOUS
#define SPURIOUS 0
#endif

#define NO_FUTEX 0
#define FUTEX_SLOT 1          /* the private path's wake slot (open_round) */
#define FUTEX_BARRIER_BASE 2  /* + barrier: the object's futex word (state >> 32) */
#define FUTEX_UNMAP_LOCK_BASE 8  /* + process: that process's unmap lock, window_closes_ */
#define ALL_BITS 255          /* a plain FUTEX_WAIT / FUTEX_WAKE */

/* What a futex wait returned. */
#define F_WOKEN 0     /* dequeued by a wake */
#define F_SPURIOUS 1  /* returned 0 or ETIMEDOUT without a wake */
#define F_EAGAIN 2    /* the word did not hold the expected value */
#define F_EFAULT 3    /* the word's page is not mapped */
#define F_EINTR 4     /* a signal handler ran */
#define F_TIMEDOUT 5  /* a periodic timeout that the code relies on (see
                       * futex_sleep_or_signal in signals.pml) */

byte blocked_on[QUEUE_ENTRIES];    /* the word q sleeps on; NO_FUTEX when not asleep */
byte blocked_bits[QUEUE_ENTRIES];  /* its FUTEX_WAIT_BITSET mask */
byte spurious_left = SPURIOUS;
byte wake_scan;                    /* scratch of futex_wake; always 0 between steps */

/* The compare-and-enqueue step of FUTEX_WAIT(_BITSET). `faults` is true when
 * the page is gone in the caller's process (the kernel then answers EFAULT
 * without reading); `current` is the word's value. */
inline futex_enqueue(q, word, bits, faults, current, expected, result) {
  atomic {
    if
    :: faults -> result = F_EFAULT
    :: !(faults) && current != expected -> result = F_EAGAIN
    :: !(faults) && current == expected ->
       blocked_on[q] = word;
       blocked_bits[q] = bits;
       result = F_WOKEN
    fi
  }
}

/* The sleep after a successful enqueue: returns once a wake dequeued q, or
 * spuriously while the budget lasts. */
inline futex_sleep(q, result) {
  if
  :: blocked_on[q] == NO_FUTEX -> skip  /* woken: result stays F_WOKEN */
  :: atomic {
       spurious_left > 0 && blocked_on[q] != NO_FUTEX ->
       spurious_left--;
       blocked_on[q] = NO_FUTEX;
       result = F_SPURIOUS
     }
  fi
}

/* FUTEX_WAKE(_BITSET) of every sleeper on `word` whose mask meets `bits`.
 * The kernel finds the word through the waker's own mapping, so `mapped`
 * must hold: a wake on a page the waker's process has unmapped fails, and
 * sleepers of other processes would never be woken. */
inline futex_wake(word, bits, mapped) {
  d_step {
    assert(mapped);
    wake_scan = 0;
    do
    :: wake_scan < QUEUE_ENTRIES ->
       if
       :: blocked_on[wake_scan] == word && (blocked_bits[wake_scan] & (bits)) != 0 ->
          blocked_on[wake_scan] = NO_FUTEX
       :: else -> skip
       fi;
       wake_scan++
    :: else -> break
    od;
    wake_scan = 0
  }
}
