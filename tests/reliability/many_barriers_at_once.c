/* Reliability: hundreds of barriers in use at once.  200 barriers, each
 * passed by its own pair of threads (400 threads on 2 cores), all started
 * together and running concurrently; every group checks every round of its
 * barrier (round_check.h: the serial waiter exactly once, nobody early,
 * every result 0 or PTHREAD_BARRIER_SERIAL_THREAD).  The process's resident
 * memory and open descriptors once every group is past its round 10, and
 * again once every group has finished, must be flat (memory: within
 * RESIDENT_SLACK_KIB).  The barriers lie side by side in one mapping.
 * Sub-case: private | shared. */
#include "load_participant.h"
#include <sys/mman.h>

enum { GROUPS = 200, PER_GROUP = 2, THREADS = GROUPS * PER_GROUP, STACK_BYTES = 64 * 1024 };
static const long long MAX_ROUNDS = 20000, MIN_ROUNDS = 100, WARMUP_ROUND = 10;
static const double RUN_SECONDS = 3.0, MAX_SECONDS = 20.0;

struct group {
    struct load_run run; /* its own bounds and checks; resources are sampled by main */
    struct round_check check;
};
static struct group groups[GROUPS];
static pthread_barrier_t gate;        /* all threads and main: start, then end */
/* Counts that main polls (seq_cst, C's default; only the counts matter): groups
 * past their warm-up round, threads past their last round. */
static atomic_int groups_warm, threads_done;

static void *participant(void *arg)
{
    struct group *group = &groups[(intptr_t)arg / PER_GROUP];
    const bool first = (intptr_t)arg % PER_GROUP == 0;
    pthread_barrier_wait(&gate);
    group->run.started = bh_now();
    /* The group's own rounds; its first thread counts the warm-up. */
    for (long long round = 0;; round++) {
        round_check_arrive(&group->check);
        int rc = pthread_barrier_wait(group->run.barrier);
        round_check_leave(&group->check, round, rc, "a group's thread");
        if (first && round == WARMUP_ROUND)
            atomic_fetch_add(&groups_warm, 1);
        const struct load_bounds *b = &group->run.bounds;
        bool time_to_stop = round + 1 >= b->max_rounds ||
                            bh_time_to_stop(group->run.started, b->run_seconds, b->max_seconds,
                                            round + 1 >= b->min_rounds);
        if (round_check_done(&group->check, round, rc, time_to_stop))
            break;
    }
    atomic_fetch_add(&threads_done, 1);
    pthread_barrier_wait(&gate); /* stay alive until main has sampled */
    return NULL;
}

static void wait_for(atomic_int *counter, int target, const char *what)
{
    bh_phase_set(what);
    while (atomic_load(counter) < target)
        rel_sleep_us(1000);
}

int main(int argc, char **argv)
{
    bool shared = rel_shared_sub_case(argc, argv);
    rel_start("setup", 45);
    pthread_barrier_t *barriers = mmap(NULL, GROUPS * sizeof *barriers, PROT_READ | PROT_WRITE,
                                       (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
    if (barriers == MAP_FAILED)
        bh_setup_error("mmap failed");
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, shared ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE);
    for (int g = 0; g < GROUPS; g++) {
        if (pthread_barrier_init(&barriers[g], &attr, PER_GROUP) != 0)
            bh_setup_error("pthread_barrier_init of barrier %d failed", g);
        round_check_init(&groups[g].check, PER_GROUP);
        groups[g].run.barrier = &barriers[g];
        groups[g].run.check = &groups[g].check;
        groups[g].run.bounds =
            load_bounds_scaled(MAX_ROUNDS, MIN_ROUNDS, RUN_SECONDS, MAX_SECONDS, WARMUP_ROUND);
    }
    if (pthread_barrier_init(&gate, NULL, THREADS + 1) != 0)
        bh_setup_error("pthread_barrier_init of the gate failed");

    pthread_attr_t thread_attr;
    pthread_attr_init(&thread_attr);
    pthread_attr_setstacksize(&thread_attr, STACK_BYTES);
    static pthread_t threads[THREADS];
    for (intptr_t i = 0; i < THREADS; i++)
        if (pthread_create(&threads[i], &thread_attr, participant, (void *)i) != 0)
            bh_setup_error("pthread_create of thread %d failed", (int)i);
    double started = bh_now();
    pthread_barrier_wait(&gate);
    wait_for(&groups_warm, GROUPS, "waiting for every group to warm up");
    struct resource_usage start = resource_usage_now();
    wait_for(&threads_done, THREADS, "waiting for every group to finish");
    struct resource_usage end = resource_usage_now();
    pthread_barrier_wait(&gate);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    double seconds = bh_now() - started;

    bh_phase_set("checking");
    long long fewest = -1, most = 0;
    for (int g = 0; g < GROUPS; g++) {
        long long rounds = round_check_finish(&groups[g].check, "a group");
        if (rounds < MIN_ROUNDS)
            bh_setup_error("group %d ran only %lld rounds (want >= %lld)", g, rounds, MIN_ROUNDS);
        fewest = fewest < 0 || rounds < fewest ? rounds : fewest;
        most = rounds > most ? rounds : most;
        int rc = pthread_barrier_destroy(&barriers[g]);
        if (rc != 0)
            bh_fail("destroy of barrier %d returned %s", g, bh_err_name(rc));
    }
    resource_usage_check_flat(start, end, argv[1]);
    bh_pass("%s: %d barriers in use at once, %d threads, %lld to %lld checked rounds each in %.1f s; "
            "resident %ld -> %ld KiB, descriptors %d -> %d", argv[1], GROUPS, THREADS, fewest, most,
            seconds, start.resident_kib, end.resident_kib, start.descriptors, end.descriptors);
}
