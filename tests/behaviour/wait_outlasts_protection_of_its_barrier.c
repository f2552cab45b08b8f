/* Behaviour: a process-shared barrier in shared memory whose page a thread
 * of the process makes inaccessible for a while (mprotect PROT_NONE) and
 * then accessible again, while another thread sleeps in an open round, keeps
 * that round: the sleeper returns only after the last participant arrived.
 * The memory was never released; only its protection changed (glibc 2.36's
 * sleeper stays queued on the futex and returns after the arrival).
 *
 * The sleeper is the main thread.  The other thread waits until it is
 * asleep in the kernel, protects the page for 500 ms (longer than a sleeping
 * waiter's first re-check of its round), restores it, notes its arrival and
 * arrives.  The sleeper's wait must return after that note.  Two rounds,
 * each on a fresh barrier. */
#include "behaviour.h"
#include <sys/mman.h>
#include <sys/syscall.h>

enum { ROUNDS = 2, PROTECTED_MS = 500 };

static pthread_barrier_t *barrier;
static size_t page;
static atomic_int sleeper_tid;
static atomic_bool late_arrived;

static pid_t own_tid(void) { return (pid_t)syscall(SYS_gettid); }

static void *late_participant(void *arg)
{
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        while (atomic_load(&sleeper_tid) == 0)
            bh_sleep_ms(1);
        if (bh_wait_until_task_asleep(bh_thread_state, atomic_load(&sleeper_tid), 5000) != 0)
            bh_setup_error("round %d: the first participant never went to sleep", r);
        bh_phase_set("barrier memory protected while a participant sleeps");
        if (mprotect(barrier, page, PROT_NONE) != 0)
            bh_setup_error("mprotect(PROT_NONE) failed");
        bh_sleep_ms(PROTECTED_MS);
        if (mprotect(barrier, page, PROT_READ | PROT_WRITE) != 0)
            bh_setup_error("mprotect(PROT_READ | PROT_WRITE) failed");
        atomic_store(&late_arrived, true);
        bh_phase_set("last arrival");
        int rc = pthread_barrier_wait(barrier);
        if (!bh_wait_ok(rc))
            bh_fail("round %d: the last arrival's wait returned %s", r, bh_err_name(rc));
        rc = pthread_barrier_wait(barrier + 1);
        if (!bh_wait_ok(rc))
            bh_fail("round %d: the second barrier's wait returned %s", r, bh_err_name(rc));
    }
    return NULL;
}

int main(void)
{
    bh_start("setup", 20);
    page = (size_t)sysconf(_SC_PAGESIZE);
    /* barrier[0] is the one protected; barrier[1], on the same page, separates
     * the rounds once the page is accessible again. */
    barrier = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (barrier == MAP_FAILED)
        bh_setup_error("mmap failed");
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_t late;
    for (int r = 0; r < ROUNDS; r++) {
        if (pthread_barrier_init(barrier, &attr, 2) != 0 ||
            pthread_barrier_init(barrier + 1, &attr, 2) != 0)
            bh_setup_error("pthread_barrier_init failed");
        if (r == 0 && pthread_create(&late, NULL, late_participant, NULL) != 0)
            bh_setup_error("pthread_create failed");
        atomic_store(&late_arrived, false);
        bh_phase_set("sleeping in the round");
        atomic_store(&sleeper_tid, own_tid());
        int rc = pthread_barrier_wait(barrier);
        bool arrived = atomic_load(&late_arrived);
        atomic_store(&sleeper_tid, 0);
        if (!bh_wait_ok(rc))
            bh_fail("round %d: the sleeper's wait returned %s", r, bh_err_name(rc));
        if (!arrived)
            bh_fail("round %d: the sleeper's wait returned while its barrier's memory was "
                    "protected, before the last participant arrived", r);
        bh_phase_set("separating the rounds");
        rc = pthread_barrier_wait(barrier + 1);
        if (!bh_wait_ok(rc))
            bh_fail("round %d: the second barrier's wait returned %s", r, bh_err_name(rc));
        if (pthread_barrier_destroy(barrier) != 0 || pthread_barrier_destroy(barrier + 1) != 0)
            bh_fail("round %d: destroy after the round failed", r);
    }
    pthread_join(late, NULL);
    bh_pass("%d rounds: each sleeper returned only after the last arrival, though its "
            "barrier's page was PROT_NONE for %d ms while it slept", ROUNDS, PROTECTED_MS);
}
