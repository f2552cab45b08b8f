/* A thread that leaves a process-shared wait without returning from it must
 * not leave the wait's exit window open for the unmappers of the process.
 *
 * Thread V spins in the wait of a process-shared barrier P (count 2, inside
 * the exit window that wait holds) when a signal arrives, and its handler
 * never returns to the wait:
 *
 *   pthread_exit              the handler calls pthread_exit: a forced
 *                             unwind through the wait's frames
 *   pthread_exit-in-cleanup   the same; the checks below run while V is
 *                             still alive, held in a cleanup handler that
 *                             the unwind runs (pthread_cleanup_push around
 *                             the wait), after the wait's frames are gone
 *   cancel-at-write           a deferred cancellation is pending when the
 *                             signal arrives and acts at the handler's
 *                             write(), a cancellation point
 *   cancel-at-write-in-cleanup  the same, checked from a cleanup handler
 *   swapcontext               the handler switches to another context (its
 *                             own stack) and never switches back; the
 *                             checks of unrelated memory run while V lives
 *                             on in that context, which then resumes V's
 *                             thread function at its start (setcontext
 *                             through uc_link) and the thread ends
 *
 * Afterwards every munmap of the process must return: one of unrelated
 * memory, and, once the main thread has completed P's round (V's arrival
 * stays counted), one of P itself. A window left open by the discarded
 * frames makes them wait for ever. */
#include <fcntl.h>
#include <ucontext.h>

#include "window_tests.h"

enum { kTrials = 20 };
enum how_it_leaves { PTHREAD_EXIT, CANCEL_AT_WRITE, SWAPCONTEXT };
enum { kSideStackSize = 256 * 1024 };

static enum how_it_leaves how;
static bool check_in_cleanup;
static pthread_barrier_t *barrier;
static int devnull = -1;
static atomic_int victim_started, in_cleanup, checks_done, on_side, side_may_leave, came_home;
static ucontext_t home, side, abandoned;
static char side_stack[kSideStackSize];

/* An unrelated page, then, after P's round, P itself. `v_in_cleanup`: V is
 * still alive, in its cleanup handler (for the HANG report). */
static void check_unmaps_after_leaving(char *page, bool v_in_cleanup)
{
    unmap_or_fail(page, 4096,
                  v_in_cleanup ? "munmap of unrelated memory while the waiter runs its cleanup"
                               : "munmap of unrelated memory after the waiter ended");
    bh_phase_set("complete the round the waiter arrived in");
    int rc = pthread_barrier_wait(barrier);
    if (rc != PTHREAD_BARRIER_SERIAL_THREAD)
        bh_fail("the round with the departed waiter's arrival returned %s", bh_err_name(rc));
    unmap_or_fail(barrier, 4096,
                  v_in_cleanup ? "munmap of the barrier after its round, while the waiter runs "
                                 "its cleanup"
                               : "munmap of the barrier after its round, after the waiter ended");
}

/* Run by the unwind, with V still alive: let the main thread check first. */
static void hold_in_cleanup(void *unused)
{
    (void)unused;
    if (!check_in_cleanup)
        return;
    atomic_store(&in_cleanup, 1);
    await_value(&checks_done, 1, 10 * kStepLimitSeconds,
                "the cleanup handler's wait for the main thread's unmaps");
}

/* The side context: runs on its own stack until the main thread has
 * checked, then returns, which resumes `home` (uc_link). */
static void live_on_the_side(void)
{
    atomic_store(&on_side, 1);
    await_value(&side_may_leave, 1, 10 * kStepLimitSeconds,
                "the side context's wait for the main thread's unmaps");
}

static void leave_the_wait(int sig)
{
    (void)sig;
    switch (how) {
    case PTHREAD_EXIT:
        pthread_exit(NULL);
    case CANCEL_AT_WRITE:
        /* The pending deferred cancellation acts here. */
        (void)!write(devnull, "x", 1);
        bh_fail("a pending deferred cancellation did not act at write() in a handler");
    case SWAPCONTEXT:
        swapcontext(&abandoned, &side);
        bh_fail("the abandoned handler context was resumed");
    }
}

static void *victim(void *unused)
{
    (void)unused;
    if (how == SWAPCONTEXT) {
        getcontext(&home);
        if (atomic_load(&came_home))
            return (void *)1; /* resumed from the side context */
        atomic_store(&came_home, 1);
        atomic_store(&victim_started, 1);
        pthread_barrier_wait(barrier); /* count 2: nobody else arrives before the signal */
        bh_fail("the wait returned into the context its handler abandoned");
    }
    void *result = NULL;
    pthread_cleanup_push(hold_in_cleanup, NULL);
    atomic_store(&victim_started, 1);
    int rc = pthread_barrier_wait(barrier); /* count 2: nobody else arrives before the signal */
    if (how == CANCEL_AT_WRITE)
        pthread_testcancel();
    result = (void *)(intptr_t)rc;
    pthread_cleanup_pop(0);
    return result;
}

static void prepare_side_context(void)
{
    if (getcontext(&side) != 0)
        bh_setup_error("getcontext failed");
    side.uc_stack.ss_sp = side_stack;
    side.uc_stack.ss_size = sizeof side_stack;
    side.uc_link = &home;
    makecontext(&side, live_on_the_side, 0);
}

int main(int argc, char **argv)
{
    static const char *const cases[] = {"pthread_exit", "pthread_exit-in-cleanup",
                                        "cancel-at-write", "cancel-at-write-in-cleanup",
                                        "swapcontext"};
    int which = -1;
    for (int i = 0; argc == 2 && i < 5; i++)
        if (strcmp(argv[1], cases[i]) == 0)
            which = i;
    if (which < 0) {
        fprintf(stderr, "usage: %s pthread_exit | pthread_exit-in-cleanup | cancel-at-write | "
                        "cancel-at-write-in-cleanup | swapcontext\n", argv[0]);
        return BH_SETUP;
    }
    how = which <= 1 ? PTHREAD_EXIT : which <= 3 ? CANCEL_AT_WRITE : SWAPCONTEXT;
    check_in_cleanup = which == 1 || which == 3;
    bh_start("setup", 10);
    devnull = open("/dev/null", O_WRONLY);
    if (devnull < 0)
        bh_setup_error("cannot open /dev/null");
    install_handler_without_restart(SIGUSR1, leave_the_wait);

    for (int trial = 0; trial < kTrials; ++trial) {
        barrier = new_barrier(true, 2);
        char *page = unrelated_page();
        atomic_store(&in_cleanup, 0);
        atomic_store(&checks_done, 0);
        atomic_store(&on_side, 0);
        atomic_store(&side_may_leave, 0);
        atomic_store(&came_home, 0);
        if (how == SWAPCONTEXT)
            prepare_side_context();
        pthread_t thread = start_spinning_victim(victim, &victim_started, barrier, trial);
        bh_phase_set("signal the spinning waiter, whose handler leaves the wait");
        if (how == CANCEL_AT_WRITE && pthread_cancel(thread) != 0)
            bh_setup_error("pthread_cancel failed");
        pthread_kill(thread, SIGUSR1);

        if (how == SWAPCONTEXT) {
            await_value(&on_side, 1, kStepLimitSeconds, "the handler never switched contexts");
            unmap_or_fail(page, 4096,
                          "munmap of unrelated memory while the waiter runs in another context");
            atomic_store(&side_may_leave, 1);
            void *result;
            pthread_join(thread, &result);
            if (result != (void *)1)
                bh_fail("trial %d: the thread did not end through its side context", trial);
            bh_phase_set("complete the round the waiter arrived in");
            int rc = pthread_barrier_wait(barrier);
            if (rc != PTHREAD_BARRIER_SERIAL_THREAD)
                bh_fail("the round with the departed waiter's arrival returned %s",
                        bh_err_name(rc));
            unmap_or_fail(barrier, 4096, "munmap of the barrier after the thread ended");
            continue;
        }

        void *result;
        if (check_in_cleanup) {
            await_value(&in_cleanup, 1, kStepLimitSeconds,
                        "the unwind never reached the cleanup handler");
            check_unmaps_after_leaving(page, true);
            atomic_store(&checks_done, 1);
            pthread_join(thread, &result);
        } else {
            pthread_join(thread, &result);
            check_unmaps_after_leaving(page, false);
        }
        void *expected = how == PTHREAD_EXIT ? NULL : PTHREAD_CANCELED;
        if (result != expected)
            bh_fail("trial %d: the waiter ended with %p, expected %p", trial, result, expected);
    }
    bh_pass("%d waiters left a process-shared wait from a handler by %s without returning to it; "
            "every munmap afterwards (unrelated memory, then the barrier after its round) "
            "returned", kTrials, argv[1]);
}
