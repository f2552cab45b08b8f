/* A plain sense-reversing spin barrier: one counter, one sense word, and
 * waiters that spin (with pause) until the sense flips. No yielding, no
 * sleeping: the reference for what pure spinning costs. */
#ifndef BENCH_SPIN_BARRIER_H
#define BENCH_SPIN_BARRIER_H

#include <stdatomic.h>

struct spin_barrier {
  /* Members still to arrive in the open round; with the constant count on
   * the same line, which only the last arriver reads, right after its RMW. */
  _Alignas(64) _Atomic unsigned remaining;
  unsigned count;
  /* 0 or 1, flipped once per round by the last arriver; on a line of its own
   * so that arrivals do not disturb the spinning waiters. */
  _Alignas(64) _Atomic unsigned sense;
};

void spin_barrier_init(struct spin_barrier *barrier, unsigned count);

/* Returns 1 for the last arriver of the round, 0 for the others. */
int spin_barrier_wait(struct spin_barrier *barrier);

#endif
