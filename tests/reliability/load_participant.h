/* The loop every load test's participants run: checked rounds on one
 * barrier (round_check.h) until the serial waiter finds the run's bounds
 * reached, with the process's resources sampled by the serial waiter of the
 * warm-up round and of the last round (resource_usage.h).  Sampling is done
 * outside any wait. */
#ifndef LOAD_PARTICIPANT_H
#define LOAD_PARTICIPANT_H

#include "resource_usage.h"
#include "round_check.h"

struct load_bounds {
    long long max_rounds, min_rounds;
    double run_seconds, max_seconds; /* already scaled for soak runs */
    long long warmup_round;          /* sample `start` after this round */
};

struct load_run {
    pthread_barrier_t *barrier;
    struct round_check *check;
    struct load_bounds bounds;
    double started;
    /* Sampled by this process's sampler: `start` after the warm-up round,
     * `end` after the last one. */
    struct resource_usage start, end;
};

static inline struct load_bounds load_bounds_scaled(long long max_rounds, long long min_rounds,
                                                    double run_seconds, double max_seconds,
                                                    long long warmup_round)
{
    struct load_bounds bounds = {max_rounds * soak_factor(), min_rounds, run_seconds * soak_factor(),
                                 max_seconds * soak_factor(), warmup_round};
    return bounds;
}

/* Runs the rounds.  `sampler` says whether this participant samples the
 * process's resources; with several participants per process, exactly one
 * should (the serial waiter may be in another process).  Returns the rounds
 * this participant ran. */
static inline long long load_participate(struct load_run *run, bool sampler)
{
    for (long long round = 0;; round++) {
        round_check_arrive(run->check);
        int rc = pthread_barrier_wait(run->barrier);
        round_check_leave(run->check, round, rc, "a participant");
        if (sampler && round == run->bounds.warmup_round)
            run->start = resource_usage_now();
        bool time_to_stop = round + 1 >= run->bounds.max_rounds ||
                            bh_time_to_stop(run->started, run->bounds.run_seconds,
                                            run->bounds.max_seconds,
                                            round + 1 >= run->bounds.min_rounds);
        if (round_check_done(run->check, round, rc, time_to_stop)) {
            if (sampler)
                run->end = resource_usage_now();
            return round + 1;
        }
    }
}

/* After the run: enough rounds, and resources flat. */
static inline long long load_finish(struct load_run *run, const char *what)
{
    long long rounds = round_check_finish(run->check, what);
    if (rounds < run->bounds.min_rounds)
        bh_setup_error("%s: only %lld rounds in %.0f s (want >= %lld)", what, rounds,
                       run->bounds.max_seconds, run->bounds.min_rounds);
    if (rounds <= run->bounds.warmup_round)
        bh_setup_error("%s: the run ended before its warm-up round", what);
    resource_usage_check_flat(run->start, run->end, what);
    return rounds;
}

#endif
