/* A thread caught spinning in the wait of a process-shared barrier in
 * MAP_SHARED memory (the object wait path, whose waiters hold an exit window
 * of the unmap lock while they spin), for tests that interrupt it there. */
#ifndef SPINNING_VICTIM_H
#define SPINNING_VICTIM_H
#include "barrier_kind.h"

/* Spins for `us` microseconds without sleeping. */
static inline void busy_wait_us(long us)
{
    double until = bh_now() + us / 1e6;
    while (bh_now() < until) {
    }
}

/* The arrivals counted in `barrier`'s open round: bits 0..30 of its first
 * 64-bit word (the shim's layout, src/contract/barrier_layout.h). */
static inline uint32_t arrivals_in(pthread_barrier_t *barrier)
{
    return (uint32_t)(__atomic_load_n((uint64_t *)barrier, __ATOMIC_ACQUIRE) & 0x7fffffff);
}

/* Starts `victim`, which stores 1 to *started just before its wait on
 * `barrier`, waits until its arrival is counted (so whatever interrupts it
 * interrupts a waiter that has arrived), then gives it a few microseconds
 * more, varied by `trial`, to land anywhere in its spin. */
static inline pthread_t start_spinning_victim(void *(*victim)(void *), atomic_int *started,
                                              pthread_barrier_t *barrier, int trial)
{
    atomic_store(started, 0);
    pthread_t thread;
    if (pthread_create(&thread, NULL, victim, NULL) != 0)
        bh_setup_error("pthread_create failed");
    while (!atomic_load(started) || arrivals_in(barrier) == 0) {
    }
    busy_wait_us(trial % 20);
    return thread;
}

#endif
