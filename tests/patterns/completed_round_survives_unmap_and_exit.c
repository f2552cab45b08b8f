/* Behaviour: a waiter whose round completed returns 0 from
 * pthread_barrier_wait, even when, before it got to look, another thread of
 * its own process returned from the same round and unmapped the process's
 * view of the barrier (guarantee 2 allows it), and another participant
 * process returned and exited normally.  In robust mode neither is a death
 * in an open round: the answer must not be EOWNERDEAD.
 *
 * Per trial: a process-shared barrier of count 3 in a fresh shared page;
 * participants: W (a thread of this process), T (this process's main thread)
 * and Q (a child process).  W falls asleep in its wait; T sends W a signal
 * whose handler keeps W busy until T says so; the round completes (T and Q
 * arrive, in varying order); T munmaps the page, reaps Q (exit status 0) and
 * only then lets W's handler return.  W's wait must return 0.  (The test
 * keeps a second view of the page, at another address, to destroy the
 * barrier once W is back.)
 *
 * Run with the shim, in robust mode (BARRIER_SHIM_ROBUST=1) and without.
 * Stock glibc fails it: its waiter reads the barrier after waking and gets
 * SIGSEGV on the unmapped page. */
#include "patterns.h"
#include "../behaviour/children.h"

enum { kTrials = 6 };

struct control {
    atomic_int q_may_arrive;
};

static struct control *control;
static pthread_barrier_t *barrier;
static unsigned trial;
static atomic_int in_handler, handler_may_return, w_returned;
static _Atomic pid_t w_tid;
static int w_result;

static void hold_waiter(int sig)
{
    (void)sig;
    int saved = errno;
    atomic_store(&in_handler, 1);
    /* Bounded: at most about 3 s, then the wait goes on and the test reports
     * what it finds. */
    for (long polls = 0; polls < 3000 && !atomic_load(&handler_may_return); polls++) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    errno = saved;
}

static void *waiter_w(void *arg)
{
    (void)arg;
    atomic_store(&w_tid, gettid());
    w_result = pthread_barrier_wait(barrier);
    atomic_store(&w_returned, 1);
    return NULL;
}

static int participant_q(int index)
{
    (void)index;
    if (trial % 2 == 1) {
        /* Arrive after W is held in its handler. */
        for (int polls = 0; polls < 5000 && !atomic_load(&control->q_may_arrive); polls++)
            bh_sleep_ms(1);
    }
    int rc = pthread_barrier_wait(barrier);
    if (!bh_wait_ok(rc))
        bh_fail("trial %u: the other process's wait returned %s", trial, bh_err_name(rc));
    return BH_PASS; /* a normal exit, right after the round */
}

int main(void)
{
    bh_start("setup", 20);
    pt_install_handler(SIGUSR1, hold_waiter, SA_RESTART);
    control = pt_map_shared(4096);

    for (trial = 0; trial < kTrials; trial++) {
        atomic_store(&control->q_may_arrive, 0);
        atomic_store(&in_handler, 0);
        atomic_store(&handler_may_return, 0);
        atomic_store(&w_returned, 0);
        atomic_store(&w_tid, 0);
        /* The barrier's memory, mapped twice: W and T use `barrier`, which
         * T unmaps; `keeper` stays mapped so that the test can destroy the
         * barrier at the end of the trial (robust mode removes its
         * semaphore set then). */
        int fd = memfd_create("completed-round", 0);
        if (fd < 0 || ftruncate(fd, 4096) != 0)
            bh_setup_error("memfd_create failed: %s", strerror(errno));
        barrier = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        pthread_barrier_t *keeper = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        if (barrier == MAP_FAILED || keeper == MAP_FAILED)
            bh_setup_error("mmap failed: %s", strerror(errno));
        pt_init_or_setup(barrier, true, 3);
        pid_t q = spawn_child(0, participant_q, 20);

        pthread_t w;
        if (pthread_create(&w, NULL, waiter_w, NULL) != 0)
            bh_setup_error("pthread_create failed");
        bh_phase_set("waiting for W to fall asleep in its wait");
        for (int i = 0; i < 3000 && atomic_load(&w_tid) == 0; i++)
            bh_sleep_ms(1);
        if (bh_wait_until_asleep(atomic_load(&w_tid), 3000) != 0)
            bh_setup_error("W never fell asleep in pthread_barrier_wait");
        if (atomic_load(&w_returned))
            bh_fail("trial %u: W returned before the round was complete", trial);

        bh_phase_set("holding W in a signal handler");
        pthread_kill(w, SIGUSR1);
        if (!pt_poll_until_set(&in_handler, 3000))
            bh_setup_error("W's signal handler never ran");

        bh_phase_set("completing the round (T and Q arrive)");
        atomic_store(&control->q_may_arrive, 1);
        int rc = pthread_barrier_wait(barrier);
        if (!bh_wait_ok(rc))
            bh_fail("trial %u: T's wait returned %s", trial, bh_err_name(rc));

        bh_phase_set("T unmaps this process's view right after its wait returned");
        if (munmap(barrier, 4096) != 0)
            bh_setup_error("munmap failed: %s", strerror(errno));
        bh_phase_set("reaping Q, which exits normally after the round");
        int status;
        if (waitpid(q, &status, 0) != q)
            bh_setup_error("waitpid failed: %s", strerror(errno));
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            bh_fail("trial %u: Q ended with status 0x%x", trial, (unsigned)status);

        bh_phase_set("W leaves its handler and its wait");
        atomic_store(&handler_may_return, 1);
        pthread_join(w, NULL);
        int destroyed = pthread_barrier_destroy(keeper);
        munmap(keeper, 4096);
        if (w_result == EOWNERDEAD)
            bh_fail("trial %u: W's wait returned EOWNERDEAD, though its round completed and nobody "
                    "died in it (its process unmapped the barrier, a participant process exited after "
                    "the round)", trial);
        if (w_result != 0)
            bh_fail("trial %u: W's wait returned %s, expected 0 (W arrived first)", trial,
                    bh_err_name(w_result));
        if (destroyed != 0)
            bh_fail("trial %u: destroy after the round, through another view, returned %s", trial,
                    bh_err_name(destroyed));
    }
    bh_pass("%d trials: a waiter whose round completed got 0 after its process unmapped the barrier "
            "and a participant process exited", kTrials);
}
