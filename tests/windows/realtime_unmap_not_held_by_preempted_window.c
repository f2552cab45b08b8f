/* Under real-time priorities, a high-priority unmapper is never held for
 * as long as a middle-priority thread runs by the exit window of a
 * preempted low-priority waiter (priority inversion).
 *
 * Three SCHED_FIFO threads pinned to one CPU, as priority-inversion testers
 * run them: L (priority 10) waits at a process-shared barrier P (count 2, a
 * MAP_SHARED page) and spins there, inside the exit window its wait holds,
 * when M (50) starts and runs busy for up to 1.5 s, preempting L inside its
 * window. Then H (90) unmaps:
 *
 *   unrelated    a page that holds no barrier: the munmap has nothing to
 *                wait for and must return at once
 *   own-barrier  P itself, after H completed P's round by arriving last: a
 *                legal unmap, which must wait for L's window (L still reads
 *                P there), but must not wait for M: L has to run ahead of
 *                M until it has left its window (priority inheritance or
 *                boosting); L must not fault
 *
 * Either way H's munmap must return within 0.3 s, while M still runs. The
 * main thread watches at priority 99 (on any CPU). Exit 77 (skip) where the
 * kernel refuses real-time priorities. */
#include "realtime_threads.h"
#include "window_tests.h"

enum { kTrials = 5 };
enum { kLowPriority = 10, kMiddlePriority = 50, kHighPriority = 90, kMonitorPriority = 99 };
static const double kMiddleRunsSeconds = 1.5;
static const double kUnmapLimitSeconds = 0.3;

static bool own_barrier;
static pthread_barrier_t *barrier;
static char *page;
static atomic_int low_started, low_result, middle_running, middle_stop, high_done;
static _Atomic double high_unmap_seconds;

static void *low(void *unused)
{
    (void)unused;
    atomic_store(&low_started, 1);
    atomic_store(&low_result, pthread_barrier_wait(barrier));
    return NULL;
}

static void *middle(void *unused)
{
    (void)unused;
    atomic_store(&middle_running, 1);
    const double started = bh_now();
    while (!atomic_load(&middle_stop) && bh_now() - started < kMiddleRunsSeconds) {
    }
    return NULL;
}

static void *high(void *unused)
{
    (void)unused;
    const double started = bh_now();
    if (own_barrier) {
        int rc = pthread_barrier_wait(barrier);
        if (rc != PTHREAD_BARRIER_SERIAL_THREAD)
            bh_fail("H's arrival, the last of P's round, returned %s", bh_err_name(rc));
        if (munmap(barrier, 4096) != 0)
            bh_fail("H's munmap of P: %s", strerror(errno));
    } else if (munmap(page, 4096) != 0) {
        bh_fail("H's munmap of an unrelated page: %s", strerror(errno));
    }
    atomic_store(&high_unmap_seconds, bh_now() - started);
    atomic_store(&high_done, 1);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "unrelated") && strcmp(argv[1], "own-barrier"))) {
        fprintf(stderr, "usage: %s unrelated | own-barrier\n", argv[0]);
        return BH_SETUP;
    }
    own_barrier = strcmp(argv[1], "own-barrier") == 0;
    bh_start("setup", 20);
    report_faults_as("the preempted waiter L faulted: P was unmapped while L was still in its wait");
    const int cpu = first_usable_cpu();
    struct sched_param monitor_param = {.sched_priority = kMonitorPriority};
    int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &monitor_param);
    if (rc != 0)
        skip("pthread_setschedparam(SCHED_FIFO) for the main thread", rc);

    double slowest = 0;
    for (int trial = 0; trial < kTrials; ++trial) {
        /* Initialised before anything is pinned: with count <= usable CPUs
         * the shim lets waiters spin, so L spins inside its window. */
        barrier = new_barrier(true, 2);
        page = unrelated_page();
        atomic_store(&low_started, 0);
        atomic_store(&middle_running, 0);
        atomic_store(&middle_stop, 0);
        atomic_store(&high_done, 0);

        bh_phase_set("start L (FIFO 10), which waits at P");
        pthread_t l = start_thread(low, SCHED_FIFO, kLowPriority, cpu, NULL);
        await_value(&low_started, 1, kStepLimitSeconds, "L never started");
        await_arrival(barrier, "L never arrived at P");
        bh_phase_set("start M (FIFO 50), which preempts L");
        pthread_t m = start_thread(middle, SCHED_FIFO, kMiddlePriority, cpu, NULL);
        await_value(&middle_running, 1, kStepLimitSeconds, "M never started");
        bh_phase_set("start H (FIFO 90), which unmaps");
        pthread_t h = start_thread(high, SCHED_FIFO, kHighPriority, cpu, NULL);
        const double started = bh_now();
        while (!atomic_load(&high_done)) {
            if (bh_now() - started > kUnmapLimitSeconds)
                bh_fail("trial %d: H's munmap (FIFO 90) of %s was still blocked after %.1f s, "
                        "while M (FIFO 50) runs: it waits for the exit window of L (FIFO 10), "
                        "which M keeps from running", trial,
                        own_barrier ? "P after its round" : "an unrelated page", kUnmapLimitSeconds);
            bh_sleep_ms(1);
        }
        atomic_store(&middle_stop, 1);
        pthread_join(h, NULL);
        pthread_join(m, NULL);
        if (atomic_load(&high_unmap_seconds) > slowest)
            slowest = atomic_load(&high_unmap_seconds);

        bh_phase_set("let L finish its wait");
        if (!own_barrier) {
            rc = pthread_barrier_wait(barrier);
            if (!bh_wait_ok(rc))
                bh_fail("the main thread's arrival at P returned %s", bh_err_name(rc));
        }
        pthread_join(l, NULL);
        if (atomic_load(&low_result) != 0)
            bh_fail("L's wait returned %s", bh_err_name(atomic_load(&low_result)));
        if (own_barrier)
            munmap(page, 4096);
        else
            unmap_or_fail(barrier, 4096, "munmap of P after its round");
    }
    bh_pass("%s: %d times H (FIFO 90) unmapped %s while M (FIFO 50) ran and L (FIFO 10) was "
            "preempted in its wait, on CPU %d; slowest munmap %.3f ms", argv[1], kTrials,
            own_barrier ? "P after its round" : "an unrelated page", cpu, slowest * 1000);
}
