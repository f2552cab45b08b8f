/* Reliability: hundreds of threads on one barrier, on 2 cores.  256 threads
 * pass rounds of one barrier, each round checked (round_check.h: the serial
 * waiter exactly once, nobody early, every result 0 or
 * PTHREAD_BARRIER_SERIAL_THREAD); resident memory and open descriptors after
 * the last round must not exceed those after round 10 (memory: by at most
 * RESIDENT_SLACK_KIB).  Sub-case: private | shared. */
#include "load_participant.h"
#include "barrier_kind.h"

enum { THREADS = 256, STACK_BYTES = 64 * 1024 };
static const long long MAX_ROUNDS = 5000, MIN_ROUNDS = 50, WARMUP_ROUND = 10;
static const double RUN_SECONDS = 3.0, MAX_SECONDS = 20.0;

static struct load_run run;
static struct round_check check;

static void *participant(void *arg)
{
    load_participate(&run, arg != NULL);
    return NULL;
}

int main(int argc, char **argv)
{
    static const char *const cases[] = {"private", "shared", NULL};
    bool shared = rel_sub_case(argc, argv, cases) == 1;
    rel_start("rounds of hundreds of threads", 45);
    round_check_init(&check, THREADS);
    run.barrier = new_barrier(shared, THREADS);
    run.check = &check;
    run.bounds = load_bounds_scaled(MAX_ROUNDS, MIN_ROUNDS, RUN_SECONDS, MAX_SECONDS, WARMUP_ROUND);
    run.started = bh_now();
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, STACK_BYTES);
    static pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&threads[i], &attr, participant, i == 0 ? (void *)1 : NULL) != 0)
            bh_setup_error("pthread_create of thread %d failed", i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    double seconds = bh_now() - run.started;
    long long rounds = load_finish(&run, argv[1]);
    int rc = pthread_barrier_destroy(run.barrier);
    if (rc != 0)
        bh_fail("destroy after the run returned %s", bh_err_name(rc));
    bh_pass("%s: %d threads, %lld rounds in %.1f s, each checked; resident %ld -> %ld KiB, "
            "descriptors %d -> %d", argv[1], THREADS, rounds, seconds, run.start.resident_kib,
            run.end.resident_kib, run.start.descriptors, run.end.descriptors);
}
