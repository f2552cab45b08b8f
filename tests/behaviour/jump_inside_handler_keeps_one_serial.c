/* Behaviour: a signal handler that makes a non-local jump of its own, inside
 * the handler (sigsetjmp and siglongjmp both in it: the interrupted
 * pthread_barrier_wait is not left), changes nothing in the interrupted
 * wait: each round still has exactly one PTHREAD_BARRIER_SERIAL_THREAD.
 *
 * To interrupt the last arriver at every point of its wait, it waits with
 * the x86 trap flag set: every instruction it executes raises SIGTRAP. In
 * round n the handler makes that jump at the n-th instruction only (one
 * signal that jumps per wait, as a program would see it), until a round
 * whose wait is shorter than n. The first arriver (main) waits unstepped;
 * the last starts only once main sleeps in the barrier. Run plainly and
 * with BARRIER_SHIM_ARRIVAL_TREE=1 (where an arrival fills a leaf, then
 * carries it: one round's jump falls between the two). x86-64 only. */
#include "behaviour.h"
#include "single_step.h"

#include <setjmp.h>
#include <sys/syscall.h>

enum { kMaxRounds = 20000 };

static pthread_barrier_t barrier;
static atomic_int main_tid;
static long steps;    /* instructions of this round's stepped wait so far */
static long jump_at;  /* the one at which the handler jumps */

static void on_step(int sig)
{
    (void)sig;
    sigjmp_buf inside;
    if (steps++ != jump_at)
        return;
    if (sigsetjmp(inside, 1) == 0)
        siglongjmp(inside, 1);
}

static int results[2];
static atomic_bool last_round;

static void *last_arriver(void *unused)
{
    (void)unused;
    for (;;) {
        bh_phase_set("waiting for main to sleep in the barrier");
        while (bh_thread_state(atomic_load(&main_tid)) != 'S')
            sched_yield();
        bh_phase_set("stepped wait");
        steps = 0;
        trap_flag(true);
        int rc = pthread_barrier_wait(&barrier);
        trap_flag(false);
        results[1] = rc;
        /* Every instruction of the wait has had its round. */
        atomic_store(&last_round, steps <= jump_at || jump_at + 1 >= kMaxRounds);
        jump_at++;
        pthread_barrier_wait(&barrier);  /* unstepped: main reads the results */
        if (atomic_load(&last_round))
            return NULL;
        pthread_barrier_wait(&barrier);  /* main has read them */
    }
}

int main(void)
{
#if !defined(__x86_64__)
    bh_pass("not x86-64: nothing to step");
#endif
    bh_start("setup", 20);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_step;
    if (sigaction(SIGTRAP, &sa, NULL) != 0)
        bh_setup_error("sigaction: %s", strerror(errno));
    if (pthread_barrier_init(&barrier, NULL, 2) != 0)
        bh_setup_error("pthread_barrier_init failed");
    atomic_store(&main_tid, (int)syscall(SYS_gettid));
    /* Resolve the symbol before the stepping starts (lazy binding is long). */
    pthread_barrier_t warm;
    pthread_barrier_init(&warm, NULL, 1);
    pthread_barrier_wait(&warm);
    pthread_barrier_destroy(&warm);
    pthread_t thread;
    if (pthread_create(&thread, NULL, last_arriver, NULL) != 0)
        bh_setup_error("pthread_create failed");
    long rounds = 0;
    long longest = 0;
    for (;;) {
        bh_phase_set("stepped round");
        results[0] = pthread_barrier_wait(&barrier);
        bh_phase_set("handing over the results");
        pthread_barrier_wait(&barrier);
        rounds++;
        if (steps > longest)
            longest = steps;
        int serials = 0;
        for (int i = 0; i < 2; i++) {
            if (!bh_wait_ok(results[i]))
                bh_fail("round %ld: a wait returned %d", rounds, results[i]);
            serials += results[i] == PTHREAD_BARRIER_SERIAL_THREAD;
        }
        if (serials != 1)
            bh_fail("the handler's jump at instruction %ld of %ld of the last arrival's wait:"
                    " %d waits returned PTHREAD_BARRIER_SERIAL_THREAD, not 1"
                    " (first arrival %d, last %d)",
                    jump_at - 1, steps, serials, results[0], results[1]);
        if (atomic_load(&last_round))
            break;
        pthread_barrier_wait(&barrier);
    }
    pthread_join(thread, NULL);
    if (longest < 10)
        bh_setup_error("only %ld steps: the trap flag did not step the wait", longest);
    bh_pass("one serial thread in each of %ld rounds, a jump inside the handler at each"
            " instruction of the last arrival's wait (%ld at most)",
            rounds, longest);
}
