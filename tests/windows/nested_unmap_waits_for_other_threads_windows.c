/* An unmap made inside a thread's own exit window must still wait for the
 * windows of other threads on the memory it unmaps.
 *
 * Thread B waits at a process-shared barrier Q (count 2, a MAP_SHARED page)
 * and spins there, inside the exit window its wait holds, when a signal
 * arrives; B's handler stays until Q is unmapped (or at most 0.1 s), so B
 * is still leaving Q, inside its window, while the test goes on. The main
 * thread completes Q's round (it arrives last and returns), which makes
 * destroying and unmapping Q legal. Then Q is destroyed and unmapped:
 *
 *   nested  by thread A, from a signal handler that interrupted A while it
 *           spins in a wait at another process-shared barrier P: A holds a
 *           window of its own (on P) while it unmaps Q
 *   plain   by the main thread, outside any wait (the guarantee the shim
 *           already gives: the unmapper waits for B's window)
 *
 * Either way B's handler then returns into B's wait, which must finish
 * without touching unmapped memory: the destroy or the munmap must have
 * waited for B's window. An unmapper that skips every window because it
 * holds one itself lets B fault. */
#include "window_tests.h"

enum { kTrials = 10 };
static const double kLingerSeconds = 0.1;

static bool nested;
static pthread_barrier_t *p_barrier; /* A waits here (nested) */
static pthread_barrier_t *q_barrier; /* B waits here; destroyed and unmapped */
static atomic_int a_started, b_started, b_lingering, q_unmapped, a_unmapped;

static void destroy_and_unmap_q(void)
{
    int rc = pthread_barrier_destroy(q_barrier);
    if (rc != 0)
        bh_fail("destroy of Q after its round completed returned %s", bh_err_name(rc));
    if (munmap(q_barrier, 4096) != 0)
        bh_fail("munmap of Q: %s", strerror(errno));
    atomic_store(&q_unmapped, 1);
}

/* B's handler: keeps B inside its wait until Q is gone, boundedly. */
static void linger(int sig)
{
    (void)sig;
    atomic_store(&b_lingering, 1);
    const double started = bh_now();
    while (!atomic_load(&q_unmapped) && bh_now() - started < kLingerSeconds)
        sched_yield();
}

/* A's handler: unmaps Q from inside A's own wait at P. */
static void unmap_q_from_handler(int sig)
{
    (void)sig;
    destroy_and_unmap_q();
    atomic_store(&a_unmapped, 1);
}

static void *thread_a(void *unused)
{
    (void)unused;
    atomic_store(&a_started, 1);
    int rc = pthread_barrier_wait(p_barrier);
    if (!bh_wait_ok(rc))
        bh_fail("A's wait at P returned %s", bh_err_name(rc));
    return NULL;
}

static void *thread_b(void *unused)
{
    (void)unused;
    atomic_store(&b_started, 1);
    int rc = pthread_barrier_wait(q_barrier);
    if (rc != 0)
        bh_fail("B's wait at Q returned %s (the main thread arrived last)", bh_err_name(rc));
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "nested") && strcmp(argv[1], "plain"))) {
        fprintf(stderr, "usage: %s nested | plain\n", argv[0]);
        return BH_SETUP;
    }
    nested = strcmp(argv[1], "nested") == 0;
    bh_start("setup", 20);
    install_handler_without_restart(SIGUSR1, unmap_q_from_handler);
    install_handler_without_restart(SIGUSR2, linger);
    report_faults_as("thread B faulted: Q was unmapped while B was still leaving its wait there");

    for (int trial = 0; trial < kTrials; ++trial) {
        atomic_store(&b_lingering, 0);
        atomic_store(&q_unmapped, 0);
        atomic_store(&a_unmapped, 0);
        q_barrier = new_barrier(true, 2);
        if (nested)
            p_barrier = new_barrier(true, 2);

        pthread_t b = start_spinning_victim(thread_b, &b_started, q_barrier, trial);
        bh_phase_set("signal B, spinning at Q");
        pthread_kill(b, SIGUSR2);
        await_value(&b_lingering, 1, kStepLimitSeconds, "B's handler never started");
        bh_phase_set("complete Q's round while B is in its handler");
        int rc = pthread_barrier_wait(q_barrier);
        if (rc != PTHREAD_BARRIER_SERIAL_THREAD)
            bh_fail("the last arrival at Q returned %s", bh_err_name(rc));

        if (nested) {
            pthread_t a = start_spinning_victim(thread_a, &a_started, p_barrier, trial);
            bh_phase_set("signal A, spinning at P, whose handler destroys and unmaps Q");
            pthread_kill(a, SIGUSR1);
            await_value(&a_unmapped, 1, kStepLimitSeconds,
                        "A's handler never finished destroying and unmapping Q");
            bh_phase_set("complete P's round");
            rc = pthread_barrier_wait(p_barrier);
            if (!bh_wait_ok(rc))
                bh_fail("the last arrival at P returned %s", bh_err_name(rc));
            pthread_join(a, NULL);
        } else {
            bh_phase_set("destroy and unmap Q");
            destroy_and_unmap_q();
        }
        bh_phase_set("let B finish its wait at Q");
        pthread_join(b, NULL);
        if (nested)
            unmap_or_fail(p_barrier, 4096, "munmap of P after its round");
    }
    bh_pass("%s: %d times Q was destroyed and unmapped after its round while B was still leaving "
            "it; B never touched unmapped memory", argv[1], kTrials);
}
