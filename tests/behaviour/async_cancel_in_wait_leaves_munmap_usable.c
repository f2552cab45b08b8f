/* A waiter of a process-shared barrier in MAP_SHARED memory (the object wait
 * path, where a waiter holds an exit window of the unmap lock while it spins)
 * is cancelled asynchronously while it spins. The cancellation must not leave
 * the window open: a munmap right after the cancelled thread is joined
 * completes at once (a leaked window would make every munmap wait for ever).
 * Conformance suites (LTP) cancel blocked barrier waiters this way. */
#include <sys/mman.h>

#include "spinning_victim.h"

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

int main(void)
{
    enum { kTrials = 200 };
    bh_start("setup", 20);
    for (int trial = 0; trial < kTrials; ++trial) {
        barrier = new_barrier(true, 2);
        pthread_t thread = start_spinning_victim(victim, &victim_started, barrier, trial);
        bh_phase_set("cancel and join the spinning waiter");
        pthread_cancel(thread);
        pthread_join(thread, NULL);
        bh_phase_set("munmap after the cancelled wait (a leaked exit window hangs here)");
        if (munmap(barrier, 4096) != 0)
            bh_fail("munmap: %s", strerror(errno));
    }
    bh_pass("%d waiters cancelled while spinning; every munmap afterwards completed", kTrials);
}
