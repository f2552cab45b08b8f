/* Behaviour: a thread whose cancellation type is asynchronous may be
 * cancelled at any instant of a pthread_barrier_wait that completes a round,
 * and the barrier goes on working: the round is released before the
 * cancellation acts, or the thread never arrived. A cancellation acted on
 * between the round's last arrival and its release would leave the round
 * complete but unreleased, and every later wait on the barrier waiting for
 * ever.
 *
 * The barrier has a count of 1, so every wait is its round's last arrival
 * and the next wait shows whether the round was left stranded. To cancel
 * the wait at each of its instructions in turn, a fresh asynchronously
 * cancellable thread waits with the x86 trap flag set (every instruction
 * raises SIGTRAP); in trial n the handler calls pthread_cancel on its own
 * thread at the n-th instruction only, until a trial whose wait is shorter
 * than n. Each thread waits once unstepped first, so that the stepped wait
 * is an ordinary one (a thread's first wait also sets up what the shim
 * keeps per thread). Sub-case: private (the wake-slot path) | shared (a
 * process-shared barrier in MAP_SHARED memory: the object path). x86-64
 * only. */
#include "barrier_kind.h"
#include "behaviour.h"
#include "single_step.h"

#include <ucontext.h>

enum { kMaxTrials = 20000 };

static pthread_barrier_t *barrier;
static long steps;      /* instructions of this trial's stepped wait so far */
static long cancel_at;  /* the one at which the handler cancels its thread */
static bool cancel_made;

static void on_step(int sig, siginfo_t *info, void *context)
{
    (void)sig;
    (void)info;
    if (steps++ != cancel_at)
        return;
    cancel_made = true;
    /* The rest of the wait runs unstepped. */
#if defined(__x86_64__)
    ((ucontext_t *)context)->uc_mcontext.gregs[REG_EFL] &= ~0x100;
#else
    (void)context;
#endif
    /* Asynchronous at this instant: acts here; deferred: acts once the wait
     * puts the caller's type back. */
    pthread_cancel(pthread_self());
}

static void *stepped_waiter(void *unused)
{
    (void)unused;
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
    pthread_barrier_wait(barrier);  /* unstepped: the thread's first */
    steps = 0;
    cancel_made = false;
    trap_flag(true);
    int rc = pthread_barrier_wait(barrier);
    trap_flag(false);
    return (void *)(intptr_t)rc;
}

static void *cancelled_at_once(void *unused)
{
    (void)unused;
    pause(); /* a cancellation point: the request acts here */
    return NULL;
}

int main(int argc, char **argv)
{
#if !defined(__x86_64__)
    bh_pass("not x86-64: nothing to step");
#endif
    if (argc != 2 || (strcmp(argv[1], "private") && strcmp(argv[1], "shared"))) {
        fprintf(stderr, "usage: %s private | shared\n", argv[0]);
        return BH_SETUP;
    }
    bool shared = strcmp(argv[1], "shared") == 0;
    bh_start("setup", 20);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_step;
    sa.sa_flags = SA_SIGINFO;
    if (sigaction(SIGTRAP, &sa, NULL) != 0)
        bh_setup_error("sigaction: %s", strerror(errno));
    barrier = new_barrier(shared, 1);
    /* Outside the stepping: bind the symbols the wait calls (an
     * asynchronous wait calls pthread_setcanceltype) and load the unwinder
     * that cancellation uses, so that no trial cancels the dynamic linker. */
    int type;
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &type);
    pthread_barrier_wait(barrier);
    pthread_setcanceltype(type, NULL);
    pthread_t warm;
    if (pthread_create(&warm, NULL, cancelled_at_once, NULL) != 0)
        bh_setup_error("pthread_create failed");
    pthread_cancel(warm);
    pthread_join(warm, NULL);

    static char phase[160];
    long cancelled = 0;
    long longest = 0;
    for (cancel_at = 0; cancel_at < kMaxTrials; cancel_at++) {
        bh_phase_set("the stepped wait");
        pthread_t thread;
        if (pthread_create(&thread, NULL, stepped_waiter, NULL) != 0)
            bh_setup_error("pthread_create failed");
        void *result;
        pthread_join(thread, &result);
        if (steps > longest)
            longest = steps;
        if (!cancel_made) {
            if (!bh_wait_ok((int)(intptr_t)result))
                bh_fail("the wait that ran to its end returned %d", (int)(intptr_t)result);
            break;  /* the wait ended before instruction cancel_at */
        }
        if (result != PTHREAD_CANCELED)
            bh_fail("a cancellation made at instruction %ld of the wait was never acted on",
                    cancel_at);
        cancelled++;
        snprintf(phase, sizeof phase, "a wait after a cancellation at instruction %ld of the"
                 " last arrival's wait (a stranded round hangs here)", cancel_at);
        bh_phase_set(phase);
        int rc = pthread_barrier_wait(barrier);
        if (rc != PTHREAD_BARRIER_SERIAL_THREAD)
            bh_fail("after a cancellation at instruction %ld, a count-1 wait returned %s",
                    cancel_at, bh_err_name(rc));
    }
    if (cancel_at == kMaxTrials)
        bh_setup_error("the wait never ended within %d instructions", kMaxTrials);
    if (longest < 10)
        bh_setup_error("only %ld steps: the trap flag did not step the wait", longest);
    bh_pass("%s: cancelled at each of the %ld instructions of the last arrival's wait;"
            " the barrier worked after each (the wait: %ld instructions)", argv[1], cancelled, longest);
}
