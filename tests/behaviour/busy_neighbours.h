/* Busy neighbours for the fork and spawn tests: two threads passing a
 * count-2 barrier in a tight loop (so exit windows of the unmap lock are
 * almost always open) and a third that maps, unmaps and remaps with
 * mmap(MAP_FIXED) in a loop, until told to stop.  Optional hooks let a test
 * act around each wait or between rounds and cycles. */
#ifndef BUSY_NEIGHBOURS_H
#define BUSY_NEIGHBOURS_H
#include "behaviour.h"
#include <limits.h>
#include <sys/mman.h>

struct busy_neighbours;

/* What a participant thread is started with: its group and its number. */
struct busy_seat {
    struct busy_neighbours *group;
    int index;
};

struct busy_neighbours {
    pthread_barrier_t *barrier; /* count 2, looped on */
    /* Optional: run by a participant just before (entering) and just after
     * each of its waits. */
    void (*around_wait)(bool entering);
    /* Optional: run by participant `index` after each round it goes on
     * from, and by the unmapper after each cycle. */
    void (*after_round)(int index, long round);
    void (*after_cycle)(long cycle);
    /* seq_cst throughout (C's default): test bookkeeping.  stop: main tells
     * the threads to finish; rounds, unmapper_cycles: counts read after the
     * joins; stop_after: the round after which both participants stop (the
     * barrier orders its store before the peer's next read). */
    atomic_int stop;
    atomic_long rounds, unmapper_cycles;
    atomic_long stop_after;
    struct busy_seat seats[2];
    pthread_t threads[3]; /* the two participants, then the unmapper */
};

static inline void *busy_participant(void *arg)
{
    const struct busy_seat *seat = arg;
    struct busy_neighbours *busy = seat->group;
    for (long r = 0;; r++) {
        if (busy->around_wait)
            busy->around_wait(true);
        int rc = pthread_barrier_wait(busy->barrier);
        if (busy->around_wait)
            busy->around_wait(false);
        if (!bh_wait_ok(rc))
            bh_fail("the busy barrier's wait returned %s", bh_err_name(rc));
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD) {
            atomic_fetch_add(&busy->rounds, 1);
            /* The peer reads stop_after after the next round, so both stop together. */
            if (atomic_load(&busy->stop) && atomic_load(&busy->stop_after) == LONG_MAX)
                atomic_store(&busy->stop_after, r + 1);
        }
        if (r >= atomic_load(&busy->stop_after))
            return NULL;
        if (busy->after_round)
            busy->after_round(seat->index, r);
    }
}

static inline void *busy_unmapper(void *arg)
{
    struct busy_neighbours *busy = arg;
    char *mine = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mine == MAP_FAILED)
        bh_setup_error("mmap failed");
    for (long cycle = 0; !atomic_load(&busy->stop); cycle++) {
        char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED || munmap(p, 4096) != 0)
            bh_fail("the unmapper's mmap/munmap failed");
        if (mmap(mine, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != mine)
            bh_fail("the unmapper's mmap(MAP_FIXED) failed");
        atomic_fetch_add(&busy->unmapper_cycles, 1);
        if (busy->after_cycle)
            busy->after_cycle(cycle);
    }
    return NULL;
}

/* Starts the three threads on `barrier`; set the hooks first. */
static inline void busy_neighbours_start(struct busy_neighbours *busy, pthread_barrier_t *barrier)
{
    busy->barrier = barrier;
    atomic_store(&busy->stop_after, LONG_MAX);
    for (int i = 0; i < 2; i++)
        busy->seats[i] = (struct busy_seat){busy, i};
    if (pthread_create(&busy->threads[0], NULL, busy_participant, &busy->seats[0]) != 0 ||
        pthread_create(&busy->threads[1], NULL, busy_participant, &busy->seats[1]) != 0 ||
        pthread_create(&busy->threads[2], NULL, busy_unmapper, busy) != 0)
        bh_setup_error("pthread_create failed");
}

/* Tells the threads to stop and joins them. */
static inline void busy_neighbours_stop(struct busy_neighbours *busy)
{
    atomic_store(&busy->stop, 1);
    for (int i = 0; i < 3; i++)
        pthread_join(busy->threads[i], NULL);
}

/* After the stop: both loops must have run at least `minimum` times. */
static inline void busy_neighbours_check(struct busy_neighbours *busy, long minimum)
{
    if (atomic_load(&busy->rounds) < minimum || atomic_load(&busy->unmapper_cycles) < minimum)
        bh_setup_error("the background was not busy: %ld barrier rounds, %ld unmap cycles",
                       atomic_load(&busy->rounds), atomic_load(&busy->unmapper_cycles));
}

#endif
