/* The control page: everything the participants of all processes share
   about the race itself. It is mapped MAP_SHARED before fork and never
   released, so it stays valid whatever happens to the barrier's memory. */
#ifndef RACE_CONTROL_H
#define RACE_CONTROL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "race_options.h"
#include "race_rendezvous.h"

_Static_assert(ATOMIC_LONG_LOCK_FREE == 2, "counters are shared between processes");

struct race_control {
    struct rendezvous phase; /* ends each phase of a round */

    /* Written by the leader before the meeting that starts a round. */
    atomic_bool stop;
    /* Set by whoever detects a failure; the leader then stops the race. */
    atomic_bool failed;
    atomic_uint failures;

    /* Running totals over all rounds, so no reset can race with a late
       participant: after round r they must equal (r + 1) * participants. */
    atomic_ulong arrived;  /* added to just before pthread_barrier_wait */
    atomic_ulong returned; /* added to first thing after it returns */
    atomic_ulong serials;  /* returns of PTHREAD_BARRIER_SERIAL_THREAD */

    /* round + 1 of the last round in which a release completed while some
       participant had not yet recorded its return (the first thing it does
       after its wait returns): the release raced with a waiter's exit,
       rather than following it by luck. */
    atomic_ulong covered_round;

    /* round + 1 of the last round whose single releaser overwrote or
       re-initialised the shared barrier (it may sit in any process). */
    atomic_ulong content_released_round;

    /* Evidence that the case exercises what it claims. */
    atomic_ulong probes_at_released_address;
    atomic_ulong frees_that_unmapped;

    /* The barrier's bytes right after the releaser re-initialised it. */
    unsigned char reinit_image[sizeof(pthread_barrier_t)];
    /* Where each process mapped the shared object, to show they differ. */
    uintptr_t view_address[RACE_MAX_PROCS];
    char first_failure[480];
};

/* Maps a zeroed control page shared with processes forked later. */
struct race_control *create_race_control(void);

#endif
