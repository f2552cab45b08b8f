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

/* What a failed check found; a round counts once per kind. */
enum failure_kind {
    FAILURE_EARLY,  /* a wait returned before everyone had arrived */
    FAILURE_SERIAL, /* not exactly one PTHREAD_BARRIER_SERIAL_THREAD */
    FAILURE_COUNT,  /* not every participant returned exactly once */
    FAILURE_STRAY,  /* a write into released memory */
    FAILURE_ERROR,  /* a barrier call or a release returned an error */
    FAILURE_KINDS
};

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
    /* round + 1 of the last round in which the releaser began (destroy or
       release) while some participant had not yet recorded its return.
       An implementation may close the window by making the release wait
       for the waiters still inside (the shim's unmap lock does for
       barriers in shared memory): then rounds are entered, not covered. */
    atomic_ulong entered_round;

    /* round + 1 of the last round whose single releaser overwrote or
       re-initialised the shared barrier (it may sit in any process). */
    atomic_ulong content_released_round;

    /* Rounds with a failure, in all and by kind. A mark holds round + 1
       of the last round counted: reports of one round all come before
       the next round starts, so a round is counted once. */
    atomic_ulong failed_rounds;
    atomic_ulong failed_mark;
    atomic_ulong kind_rounds[FAILURE_KINDS];
    atomic_ulong kind_mark[FAILURE_KINDS];

    /* Published by the leader after each round, for status lines (the
       lab's progress, and the last words of a crashed or killed run). */
    atomic_ulong rounds_published;
    atomic_ulong covered_published;
    atomic_ulong entered_published;

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
