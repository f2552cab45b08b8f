/* A plain sense-reversing spin barrier: one counter, one sense word, and
 * waiters that spin (with pause) until the sense flips. No yielding, no
 * sleeping: the reference for what pure spinning costs.
 *
 * Two layouts of the same algorithm, chosen when compiling:
 *  - by default the sense word has a cache line of its own, so that arrivals
 *    (read-modify-writes of `remaining`) do not disturb the spinning
 *    waiters: the better layout when many members spin (bench-spin);
 *  - with SPIN_BARRIER_ONE_LINE defined, everything shares one line, so a
 *    round of few members moves one line between the cores instead of two:
 *    the better layout for 2 members, where a round is a couple of line
 *    transfers and the second line costs the two-line layout about 1.8x
 *    placed on different core complexes of the 2-core VM (bench-spin-one-line).
 * The benchmark runs both, so each ratio can be taken against the better. */
#ifndef BENCH_SPIN_BARRIER_H
#define BENCH_SPIN_BARRIER_H

#include <stdatomic.h>

struct spin_barrier {
  /* Members still to arrive in the open round; with the constant count on
   * the same line, which only the last arriver reads, right after its RMW. */
  _Alignas(64) _Atomic unsigned remaining;
  unsigned count;
  /* 0 or 1, flipped once per round by the last arriver; on a line of its own
   * (see above) unless SPIN_BARRIER_ONE_LINE. */
#ifdef SPIN_BARRIER_ONE_LINE
  _Atomic unsigned sense;
#else
  _Alignas(64) _Atomic unsigned sense;
#endif
};

void spin_barrier_init(struct spin_barrier *barrier, unsigned count);

/* Returns 1 for the last arriver of the round, 0 for the others. */
int spin_barrier_wait(struct spin_barrier *barrier);

#endif
