/* Behaviour: a signal whose handler was installed without SA_RESTART,
 * delivered (five times) to a thread blocked in pthread_barrier_wait, runs
 * the handler, after which the wait resumes: it does not return EINTR, does
 * not return before the other participant has arrived, and the round then
 * completes normally with exactly one PTHREAD_BARRIER_SERIAL_THREAD.
 * (POSIX requires this; stock glibc already behaves so.)
 * Sub-case: private | shared. */
#include "barrier_kind.h"

enum { SIGNALS = 5 };

static pthread_barrier_t *barrier;
static _Atomic pid_t waiter_tid;
static atomic_int handled;
static atomic_int waiter_returned;
static atomic_int second_arrived;
static int waiter_result;

static void on_signal(int sig)
{
    (void)sig;
    atomic_fetch_add(&handled, 1);
}

static void *waiter(void *arg)
{
    (void)arg;
    atomic_store(&waiter_tid, gettid());
    int rc = pthread_barrier_wait(barrier);
    if (!atomic_load(&second_arrived))
        bh_fail("the signalled waiter returned %s before the other participant arrived (after %d signals)",
                bh_err_name(rc), atomic_load(&handled));
    waiter_result = rc;
    atomic_store(&waiter_returned, 1);
    return NULL;
}

int main(int argc, char **argv)
{
    int kind = argc == 2 ? parse_kind(argv[1]) : -1;
    if (kind < 0) {
        fprintf(stderr, "usage: %s private | shared\n", argv[0]);
        return BH_SETUP;
    }
    bh_start("setup", 8);
    install_handler_without_restart(SIGUSR1, on_signal);
    barrier = new_barrier(kind, 2);

    pthread_t t;
    if (pthread_create(&t, NULL, waiter, NULL) != 0)
        bh_setup_error("pthread_create failed");
    while (atomic_load(&waiter_tid) == 0)
        bh_sleep_ms(1);
    pid_t tid = atomic_load(&waiter_tid);

    for (int i = 0; i < SIGNALS; i++) {
        bh_phase_set("waiting for the waiter to (re)block in pthread_barrier_wait");
        if (bh_wait_until_asleep(tid, 3000) != 0)
            bh_setup_error("the waiter never went to sleep inside pthread_barrier_wait");
        if (atomic_load(&waiter_returned))
            bh_fail("the waiter's count-2 wait returned %s with only one participant after %d signals",
                    bh_err_name(waiter_result), i);
        int before = atomic_load(&handled);
        bh_phase_set("waiting for the signal handler to run on the blocked waiter");
        pthread_kill(t, SIGUSR1);
        while (atomic_load(&handled) == before)
            bh_sleep_ms(1);
    }
    bh_sleep_ms(50);
    if (atomic_load(&waiter_returned))
        bh_fail("the waiter's wait returned %s after %d signals, before the round was complete",
                bh_err_name(waiter_result), SIGNALS);

    bh_phase_set("completing the round after the signals");
    atomic_store(&second_arrived, 1);
    int mine = pthread_barrier_wait(barrier);
    pthread_join(t, NULL);
    if (waiter_result == EINTR)
        bh_fail("the signalled waiter's wait returned EINTR");
    if (!bh_wait_ok(waiter_result) || !bh_wait_ok(mine))
        bh_fail("wait results: signalled waiter %s, second participant %s",
                bh_err_name(waiter_result), bh_err_name(mine));
    int serials = (mine == PTHREAD_BARRIER_SERIAL_THREAD) + (waiter_result == PTHREAD_BARRIER_SERIAL_THREAD);
    if (serials != 1)
        bh_fail("the round produced %d PTHREAD_BARRIER_SERIAL_THREAD, expected 1", serials);
    bh_pass("%s: %d handlers ran during the wait, which then completed the round normally", argv[1],
            SIGNALS);
}
