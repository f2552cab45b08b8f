/* A signal handler may siglongjmp out of a wait at any instant, also in the
 * middle of the shim's opening or closing of the wait's exit window; the
 * thread lives on. However the jump lands, the barrier's memory can then be
 * unmapped: no window is left open for ever.
 *
 * A victim thread loops count-1 waits on a process-shared barrier in
 * MAP_SHARED memory (the object path: each wait opens and closes a window).
 * Main sends SIGUSR1 after a random delay; the handler jumps back to the
 * victim's loop start. Main then unmaps the barrier's page, which must
 * return. Each trial uses a fresh page. A window leaked by a signal landing
 * between the window's bit and its bookkeeping made this munmap hang (the
 * review of the change that made windows bits in wait entries: 5 of 5 runs,
 * after 2-119 trials, on that build and on the one before it).
 * Bounded: ROUNDS trials or SECONDS, whichever comes first.
 * Arguments: none (3000 trials, 10 s). */
#include <setjmp.h>
#include <signal.h>

#include "window_tests.h"

enum { kTrials = 3000 };
static const double kSeconds = 10.0;

static pthread_barrier_t *_Atomic current_barrier;
static atomic_int trial_ready;   /* main -> victim: a new barrier is in place */
static atomic_int waiting;       /* victim -> main: in its wait loop */
static atomic_int jump_armed;    /* the handler jumps only once per trial */
static atomic_int jumped;        /* victim -> main: back at the loop start */
static sigjmp_buf loop_start;

static void on_usr1(int sig)
{
    (void)sig;
    if (atomic_exchange(&jump_armed, 0))
        siglongjmp(loop_start, 1);
}

static void *victim(void *unused)
{
    (void)unused;
    if (sigsetjmp(loop_start, 1))
        atomic_store(&jumped, 1);
    /* No limit of its own: main's alarm names the step that hangs. */
    await_value(&trial_ready, 1, 1e9, "victim waiting for the next trial");
    atomic_store(&trial_ready, 0);
    pthread_barrier_t *barrier = atomic_load(&current_barrier);
    atomic_store(&jump_armed, 1);
    atomic_store(&waiting, 1);
    for (;;)
        pthread_barrier_wait(barrier);
    return NULL;
}

int main(void)
{
    bh_start("setup", 60);
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = on_usr1;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGUSR1, &action, NULL) != 0)
        bh_setup_error("sigaction failed");
    pthread_t thread;
    if (pthread_create(&thread, NULL, victim, NULL) != 0)
        bh_setup_error("pthread_create failed");
    srand(12345);
    const double started = bh_now();
    int trials = 0;
    for (; trials < kTrials && bh_now() - started < kSeconds; trials++) {
        pthread_barrier_t *page = count1_shared_barrier_page();
        atomic_store(&current_barrier, page);
        atomic_store(&jumped, 0);
        atomic_store(&waiting, 0);
        atomic_store(&trial_ready, 1);
        await_value(&waiting, 1, kStepLimitSeconds, "victim entering its waits");
        spin_a_random_while(4000);
        pthread_kill(thread, SIGUSR1);
        await_value(&jumped, 1, kStepLimitSeconds, "victim jumping out of its wait");
        /* The victim is at its loop start, outside any wait: nothing may
         * hold this page any more. */
        bh_arm_alarm(5);
        unmap_or_fail(page, 4096, "munmap of the barrier after the longjmp");
    }
    bh_pass("%d longjmps out of waits at random instants, every munmap returned", trials);
    return 0;
}
