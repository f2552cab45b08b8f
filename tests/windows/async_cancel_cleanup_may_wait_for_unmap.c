/* A waiter with asynchronous cancellation enabled (POSIX leaves that
 * undefined for pthread_barrier_wait; conformance suites do it) is cancelled
 * at a random instant, and its cleanup handler waits until another thread
 * has unmapped the barrier's memory. The cancellation must never strike
 * inside an exit window: a window kept open through the cleanup handlers
 * (only the thread's exit closes it) would make that munmap wait for the
 * cleanup handler, which waits for the munmap. (Review of the change that
 * stopped deferring the cancellation around windows: 5 of 5 runs hung
 * within 10 trials; glibc and the shim before it: no hang in 300 trials.)
 * Bounded: 300 trials or 10 s. Arguments: none. */
#include "window_tests.h"

enum { kTrials = 300 };
static const double kSeconds = 10.0;

static pthread_barrier_t *_Atomic current_barrier;
static atomic_int looping;     /* victim -> main: in its wait loop */
static atomic_int in_cleanup;  /* victim -> main: its cleanup handler runs */
static atomic_int unmapped;    /* main -> victim: the barrier is unmapped */

static void wait_for_the_unmap(void *unused)
{
    (void)unused;
    atomic_store(&in_cleanup, 1);
    /* No limit of its own: main's alarm names the step that hangs. */
    await_value(&unmapped, 1, 1e9, "cleanup handler waiting for the unmap");
}

static void *victim(void *unused)
{
    (void)unused;
    pthread_barrier_t *barrier = atomic_load(&current_barrier);
    pthread_cleanup_push(wait_for_the_unmap, NULL);
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
    atomic_store(&looping, 1);
    for (;;)
        pthread_barrier_wait(barrier);
    pthread_cleanup_pop(0);
    return NULL;
}

int main(void)
{
    bh_start("setup", 60);
    srand(4711);
    const double started = bh_now();
    int trials = 0;
    for (; trials < kTrials && bh_now() - started < kSeconds; trials++) {
        pthread_barrier_t *page = count1_shared_barrier_page();
        atomic_store(&current_barrier, page);
        atomic_store(&looping, 0);
        atomic_store(&in_cleanup, 0);
        atomic_store(&unmapped, 0);
        pthread_t thread;
        if (pthread_create(&thread, NULL, victim, NULL) != 0)
            bh_setup_error("pthread_create failed");
        await_value(&looping, 1, kStepLimitSeconds, "victim entering its waits");
        spin_a_random_while(4000);
        pthread_cancel(thread);
        await_value(&in_cleanup, 1, kStepLimitSeconds, "victim reaching its cleanup handler");
        bh_arm_alarm(5);
        unmap_or_fail(page, 4096, "munmap while the cancelled waiter's cleanup handler waits");
        atomic_store(&unmapped, 1);
        pthread_join(thread, NULL);
    }
    bh_pass("%d asynchronous cancellations at random instants, every munmap returned", trials);
    return 0;
}
