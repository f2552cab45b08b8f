/* A waiter of a process-shared barrier in MAP_SHARED memory (the object wait
 * path, where a waiter holds an exit window of the unmap lock while it spins)
 * is cancelled asynchronously while it spins. The cancellation must not leave
 * the window open: a munmap right after the cancelled thread is joined
 * completes at once (a leaked window would make every munmap wait for ever).
 * Conformance suites (LTP) cancel blocked barrier waiters this way. */
#include <sys/mman.h>

#include "behaviour.h"

static pthread_barrier_t *barrier;
static atomic_int victim_started;

static void *victim(void *unused)
{
    (void)unused;
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
    atomic_store(&victim_started, 1);
    pthread_barrier_wait(barrier); /* count 2: nobody else comes */
    return NULL;
}

static void busy_wait_us(long us)
{
    double until = bh_now() + us / 1e6;
    while (bh_now() < until) {
    }
}

int main(void)
{
    enum { kTrials = 200 };
    bh_start("setup", 20);
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    for (int trial = 0; trial < kTrials; ++trial) {
        barrier = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (barrier == MAP_FAILED)
            bh_setup_error("mmap: %s", strerror(errno));
        if (pthread_barrier_init(barrier, &attr, 2) != 0)
            bh_setup_error("pthread_barrier_init failed");
        atomic_store(&victim_started, 0);
        pthread_t thread;
        if (pthread_create(&thread, NULL, victim, NULL) != 0)
            bh_setup_error("pthread_create failed");
        while (!atomic_load(&victim_started)) {
        }
        busy_wait_us(5 + trial % 20); /* land inside the victim's spin */
        bh_phase_set("cancel and join the spinning waiter");
        pthread_cancel(thread);
        pthread_join(thread, NULL);
        bh_phase_set("munmap after the cancelled wait (a leaked exit window hangs here)");
        if (munmap(barrier, 4096) != 0)
            bh_fail("munmap: %s", strerror(errno));
    }
    bh_pass("%d waiters cancelled while spinning; every munmap afterwards completed", kTrials);
}
