/* A signal handler may wait for a thread that unmaps unrelated memory.
 *
 * Thread V spins in the wait of a process-shared barrier P (inside the exit
 * window that wait holds) when a signal arrives; the handler waits at a
 * private count-2 barrier R. The thread V needs there (the main thread)
 * first unmaps a page that has nothing to do with P, then arrives at R.
 * That munmap must return: V's window protects P, not the page, and V
 * cannot close it before the main thread arrives at R. An unmapper that
 * waits for every open window of the process deadlocks here.
 *
 * Then the main thread completes P's round, which V's interrupted wait
 * must return from, and unmaps P. */
#include "window_tests.h"

enum { kTrials = 20 };

static pthread_barrier_t *outer;  /* P: process-shared, count 2 */
static pthread_barrier_t inner;   /* R: private, count 2 */
static atomic_int victim_started, handler_waiting;

static void wait_at_inner_barrier(int sig)
{
    (void)sig;
    atomic_store(&handler_waiting, 1);
    int rc = pthread_barrier_wait(&inner);
    if (!bh_wait_ok(rc))
        bh_fail("the handler's wait at the private barrier returned %s", bh_err_name(rc));
}

static void *victim(void *unused)
{
    (void)unused;
    atomic_store(&victim_started, 1);
    int rc = pthread_barrier_wait(outer);
    if (!bh_wait_ok(rc))
        bh_fail("the interrupted process-shared wait returned %s", bh_err_name(rc));
    return NULL;
}

int main(void)
{
    bh_start("setup", 10);
    install_handler_without_restart(SIGUSR1, wait_at_inner_barrier);
    if (pthread_barrier_init(&inner, NULL, 2) != 0)
        bh_setup_error("pthread_barrier_init of the private barrier failed");
    for (int trial = 0; trial < kTrials; ++trial) {
        outer = new_barrier(true, 2);
        char *page = unrelated_page();
        atomic_store(&handler_waiting, 0);
        pthread_t thread = start_spinning_victim(victim, &victim_started, outer, trial);
        bh_phase_set("signal the spinning waiter");
        pthread_kill(thread, SIGUSR1);
        await_value(&handler_waiting, 1, kStepLimitSeconds,
                    "the signalled waiter's handler never started");
        unmap_or_fail(page, 4096,
                      "munmap of unrelated memory while a handler in a window waits for us");
        bh_phase_set("arrive at the handler's private barrier");
        int rc = pthread_barrier_wait(&inner);
        if (!bh_wait_ok(rc))
            bh_fail("the main thread's wait at the private barrier returned %s", bh_err_name(rc));
        bh_phase_set("complete the interrupted process-shared round");
        rc = pthread_barrier_wait(outer);
        if (!bh_wait_ok(rc))
            bh_fail("the main thread's process-shared wait returned %s", bh_err_name(rc));
        pthread_join(thread, NULL);
        unmap_or_fail(outer, 4096, "munmap of the process-shared barrier after its round");
    }
    bh_pass("%d times a handler inside a process-shared wait waited for a thread that unmapped "
            "unrelated memory first; every munmap returned and every round completed", kTrials);
}
