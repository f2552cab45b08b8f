/* The loop every load test's participants run: checked rounds on one
 * barrier (round_check.h) until the serial waiter finds the run's bounds
 * reached, with the process's resources sampled by the serial waiter of the
 * warm-up round and of the last round (resource_usage.h).  Sampling is done
 * outside any wait. */
#ifndef LOAD_PARTICIPANT_H
#define LOAD_PARTICIPANT_H

#include "resource_usage.h"
#include "round_check.h"
#include "barrier_kind.h"

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
    double seconds; /* how long the threads ran: set by load_threads_run */
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

/* Thread bodies for load_threads_run: the sampler and the others. */
static inline void *load_sampling_thread(void *run)
{
    load_participate(run, true);
    return NULL;
}

static inline void *load_plain_thread(void *run)
{
    load_participate(run, false);
    return NULL;
}

/* A whole run in this process: `threads` threads (stacks of `stack_bytes`,
 * 0 for the default), the first of them the sampler, on a new barrier of the
 * sub-case's kind (barrier_kind.h); then load_finish and a destroy that must
 * succeed.  Returns the rounds. */
static inline long long load_threads_run(struct load_run *run, bool shared, unsigned threads,
                                         size_t stack_bytes, struct load_bounds bounds,
                                         const char *what)
{
    static struct round_check check;
    round_check_init(&check, threads);
    run->barrier = new_barrier(shared, threads);
    run->check = &check;
    run->bounds = bounds;
    run->started = bh_now();
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    if (stack_bytes)
        pthread_attr_setstacksize(&attr, stack_bytes);
    pthread_t ids[threads];
    for (unsigned i = 0; i < threads; i++)
        if (pthread_create(&ids[i], &attr, i == 0 ? load_sampling_thread : load_plain_thread,
                           run) != 0)
            bh_setup_error("pthread_create of thread %u failed", i);
    for (unsigned i = 0; i < threads; i++)
        pthread_join(ids[i], NULL);
    run->seconds = bh_now() - run->started;
    pthread_attr_destroy(&attr);
    long long rounds = load_finish(run, what);
    int rc = pthread_barrier_destroy(run->barrier);
    if (rc != 0)
        bh_fail("destroy after the run returned %s", bh_err_name(rc));
    return rounds;
}

#endif
