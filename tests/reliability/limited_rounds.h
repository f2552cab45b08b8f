/* Rounds under a resource limit: PARTICIPANTS threads (the main thread is
 * one of them) are created first, then the main thread applies the limit and
 * joins the rounds, so every wait completes under it.  Round by round checks
 * (round_check.h), and each round's serial waiter does a wrapped unmap
 * (scratch_unmaps.h) while the others are still leaving.  The limit is
 * lifted only after the last round and the joins. */
#ifndef LIMITED_ROUNDS_H
#define LIMITED_ROUNDS_H

#include "round_check.h"
#include "scratch_unmaps.h"
#include "barrier_kind.h"

/* 4 threads on 2 cores: waiters spin, yield and sleep. */
enum { PARTICIPANTS = 4, LIMITED_MAX_ROUNDS = 50000, LIMITED_MIN_ROUNDS = 1000 };
static const double LIMITED_RUN_SECONDS = 1.0, LIMITED_MAX_SECONDS = 8.0;

struct limited_run {
    pthread_barrier_t *barrier;
    struct round_check check;
    struct scratch scratch;
    double started;
};

static void limited_participate(struct limited_run *run)
{
    for (long long round = 0;; round++) {
        round_check_arrive(&run->check);
        int rc = pthread_barrier_wait(run->barrier);
        round_check_leave(&run->check, round, rc, "a thread");
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD) {
            const char *failed = scratch_unmap(&run->scratch, (unsigned)round);
            if (failed)
                bh_fail("round %lld: %s failed under the limit", round, failed);
        }
        bool time_to_stop =
            bh_time_to_stop(run->started, LIMITED_RUN_SECONDS * soak_factor(),
                            LIMITED_MAX_SECONDS * soak_factor(), round + 1 >= LIMITED_MIN_ROUNDS) ||
            round + 1 >= (long long)LIMITED_MAX_ROUNDS * soak_factor();
        if (round_check_done(&run->check, round, rc, time_to_stop))
            return;
    }
}

static void *limited_thread(void *arg)
{
    limited_participate(arg);
    return NULL;
}

/* The whole test: reads the sub-case (private | shared), starts the alarm,
 * runs the rounds on a barrier of that kind with `apply` in force; returns
 * the number of rounds.  `apply` and `lift` run on the main thread. */
static long long limited_rounds(int argc, char **argv, void (*apply)(void), void (*lift)(void))
{
    bool shared = rel_shared_sub_case(argc, argv);
    rel_start("setup", 20);
    static struct limited_run run;
    run.barrier = new_barrier(shared, PARTICIPANTS);
    round_check_init(&run.check, PARTICIPANTS);
    scratch_prepare(&run.scratch);
    run.started = bh_now();
    pthread_t threads[PARTICIPANTS - 1];
    for (int i = 0; i < PARTICIPANTS - 1; i++)
        if (pthread_create(&threads[i], NULL, limited_thread, &run) != 0)
            bh_setup_error("pthread_create failed");
    apply();
    bh_phase_set("rounds under the limit");
    limited_participate(&run);
    for (int i = 0; i < PARTICIPANTS - 1; i++)
        pthread_join(threads[i], NULL);
    lift();
    bh_phase_set("after the rounds");
    long long rounds = round_check_finish(&run.check, shared ? "shared" : "private");
    if (rounds < LIMITED_MIN_ROUNDS)
        bh_setup_error("only %lld rounds in %.0f s (want >= %d)", rounds,
                       LIMITED_MAX_SECONDS * soak_factor(), LIMITED_MIN_ROUNDS);
    int rc = pthread_barrier_destroy(run.barrier);
    if (rc != 0)
        bh_fail("destroy after the rounds returned %s", bh_err_name(rc));
    return rounds;
}

#endif
