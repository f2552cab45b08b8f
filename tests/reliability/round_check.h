/* Round-by-round checks of a barrier, in constant memory, for any number of
 * participants (threads or processes: place the struct in shared memory).
 *
 * Invariants checked by every participant after each of its waits, with N
 * participants and rounds numbered from 0:
 *  - arrivals counts every participant's arrival (added just before its
 *    wait).  When a wait of round r returns, all N arrived at rounds 0..r,
 *    and nobody can have arrived beyond round r+1, since this participant has
 *    not: N*(r+1) <= arrivals <= N*(r+2) - 1.  Below: someone left early.
 *    Above: someone ran a round ahead.
 *  - serials counts PTHREAD_BARRIER_SERIAL_THREAD results.  The serial
 *    waiter of round r adds 1 and must find exactly r: every earlier round
 *    had its one serial waiter, who added before arriving at round r, which
 *    cannot complete without that arrival.  Two in one round: the second
 *    finds r+1.  None: the next round's serial waiter finds one too few; the
 *    last round is checked at the end (serials == rounds).
 *  - every wait returns 0 or PTHREAD_BARRIER_SERIAL_THREAD.
 *
 * Stopping: the serial waiter of the round in which it is time to stop sets
 * stop_after to the next round; everyone reads it after each round, and all
 * see it after that next round (it was stored before that round's serial
 * waiter arrived), so all run the same rounds. */
#ifndef ROUND_CHECK_H
#define ROUND_CHECK_H

#include "reliability.h"
#include <limits.h>

/* seq_cst atomics throughout (C's default): each check compares counts that
 * the barrier under test must order; the test must not lean on anything
 * weaker than what it checks. */
struct round_check {
    atomic_ullong arrivals;
    atomic_ullong serials;
    atomic_llong stop_after; /* last round everyone runs; LLONG_MAX: not yet decided */
    unsigned long long participants;
};

static inline void round_check_init(struct round_check *check, unsigned long long participants)
{
    atomic_init(&check->arrivals, 0);
    atomic_init(&check->serials, 0);
    atomic_init(&check->stop_after, LLONG_MAX);
    check->participants = participants;
}

/* Just before the wait of any round. */
static inline void round_check_arrive(struct round_check *check)
{
    atomic_fetch_add(&check->arrivals, 1);
}

/* Just after the wait of round `round` returned `result`. */
static inline void round_check_leave(struct round_check *check, long long round, int result,
                                     const char *who)
{
    const unsigned long long n = check->participants, r = (unsigned long long)round;
    if (!bh_wait_ok(result))
        bh_fail("round %lld: %s: pthread_barrier_wait returned %s (%s)", round, who,
                bh_err_name(result), strerror(result));
    const unsigned long long arrivals = atomic_load(&check->arrivals);
    if (arrivals < n * (r + 1))
        bh_fail("round %lld: %s left after %llu arrivals in all, before all %llu participants "
                "had arrived (expected >= %llu)", round, who, arrivals, n, n * (r + 1));
    if (arrivals > n * (r + 2) - 1)
        bh_fail("round %lld: %s saw %llu arrivals, more than the next round can have "
                "(<= %llu): someone ran ahead", round, who, arrivals, n * (r + 2) - 1);
    if (result == PTHREAD_BARRIER_SERIAL_THREAD) {
        const unsigned long long earlier = atomic_fetch_add(&check->serials, 1);
        if (earlier != r)
            bh_fail("round %lld: %s got PTHREAD_BARRIER_SERIAL_THREAD with %llu counted before "
                    "it (expected %llu: exactly one per round)", round, who, earlier, r);
    }
}

/* After round `round`: true when this participant stops.  `time_to_stop` is
 * consulted only by the serial waiter. */
static inline bool round_check_done(struct round_check *check, long long round, int result,
                                    bool time_to_stop)
{
    if (result == PTHREAD_BARRIER_SERIAL_THREAD && time_to_stop &&
        atomic_load(&check->stop_after) == LLONG_MAX)
        atomic_store(&check->stop_after, round + 1);
    return round >= atomic_load(&check->stop_after);
}

/* Once every participant has stopped: the number of rounds run, after the
 * end-of-run checks. */
static inline long long round_check_finish(struct round_check *check, const char *what)
{
    const long long rounds = atomic_load(&check->stop_after) + 1;
    const unsigned long long serials = atomic_load(&check->serials);
    const unsigned long long arrivals = atomic_load(&check->arrivals);
    if (serials != (unsigned long long)rounds)
        bh_fail("%s: %llu PTHREAD_BARRIER_SERIAL_THREAD results in %lld rounds", what, serials,
                rounds);
    if (arrivals != check->participants * (unsigned long long)rounds)
        bh_fail("%s: %llu arrivals in %lld rounds of %llu participants", what, arrivals, rounds,
                check->participants);
    return rounds;
}

#endif
