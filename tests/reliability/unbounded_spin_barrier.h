/* The negative control of realtime_priorities_never_starve.c, NOT a barrier
 * to use: its waiters spin until the round ends, with no bound, no yield and
 * no sleep.  A higher-priority waiter pinned to the CPU that the last
 * participant needs keeps it from ever arriving. */
#ifndef UNBOUNDED_SPIN_BARRIER_H
#define UNBOUNDED_SPIN_BARRIER_H

#include "reliability.h"

/* seq_cst throughout (C's default): a control needs to be simple, not fast. */
static struct {
    atomic_uint arrived;
    atomic_uint generation; /* bumped by the last arriver of each round */
    unsigned count;
} unbounded_spin_barrier;

/* Same signature as pthread_barrier_wait; the argument is ignored. */
static inline int unbounded_spin_wait(pthread_barrier_t *unused)
{
    (void)unused;
    const unsigned generation = atomic_load(&unbounded_spin_barrier.generation);
    if (atomic_fetch_add(&unbounded_spin_barrier.arrived, 1) + 1 == unbounded_spin_barrier.count) {
        atomic_store(&unbounded_spin_barrier.arrived, 0);
        atomic_store(&unbounded_spin_barrier.generation, generation + 1);
        return PTHREAD_BARRIER_SERIAL_THREAD;
    }
    while (atomic_load(&unbounded_spin_barrier.generation) == generation) {
        /* THE FLAW: no bound, no yield, no sleep. */
    }
    return 0;
}

#endif
