/* A waiter of a process-shared barrier in MAP_SHARED memory (the object wait
 * path, whose waiters hold an exit window of the unmap lock while they spin)
 * is interrupted by a signal whose handler leaves the wait with a non-local
 * jump. The jump must not leave the window open: a munmap right after the
 * thread ended completes (a leaked window would make every later munmap of
 * the process wait for ever). The jumper's arrival stays counted: the next
 * participant completes the round (checked with a count-2 barrier).
 *
 * Argument: siglongjmp | longjmp | _longjmp. Built a second time with
 * _FORTIFY_SOURCE, where longjmp and siglongjmp become __longjmp_chk. */
#include <setjmp.h>
#include <sys/mman.h>

#include "spinning_victim.h"

enum jump_kind { SIGLONGJMP, LONGJMP, UNDERSCORE_LONGJMP };

static enum jump_kind kind;
static pthread_barrier_t *barrier;
static atomic_int victim_started;
static sigjmp_buf sig_target;
static jmp_buf plain_target;

static void jump_out(int sig)
{
    (void)sig;
    switch (kind) {
    case SIGLONGJMP: siglongjmp(sig_target, 1);
    case LONGJMP: longjmp(plain_target, 1);
    case UNDERSCORE_LONGJMP: _longjmp(plain_target, 1);
    }
}

static void *victim(void *unused)
{
    (void)unused;
    int jumped = kind == SIGLONGJMP ? sigsetjmp(sig_target, 1)
               : kind == LONGJMP    ? setjmp(plain_target)
                                    : _setjmp(plain_target);
    if (jumped)
        return (void *)1;
    atomic_store(&victim_started, 1);
    pthread_barrier_wait(barrier); /* count 2: the main thread arrives later */
    return NULL;
}

int main(int argc, char **argv)
{
    enum { kTrials = 200 };
    bh_start("setup", 30);
    if (argc != 2)
        bh_setup_error("usage: %s siglongjmp|longjmp|_longjmp", argv[0]);
    kind = strcmp(argv[1], "siglongjmp") == 0 ? SIGLONGJMP
         : strcmp(argv[1], "longjmp") == 0    ? LONGJMP
                                              : UNDERSCORE_LONGJMP;
    install_handler_without_restart(SIGUSR1, jump_out);
    int jumps = 0;
    for (int trial = 0; trial < kTrials; ++trial) {
        barrier = new_barrier(true, 2);
        pthread_t thread = start_spinning_victim(victim, &victim_started, barrier, trial);
        bh_phase_set("signal the waiter, whose handler jumps out of the wait");
        pthread_kill(thread, SIGUSR1);
        void *result;
        pthread_join(thread, &result);
        if (result == NULL)
            bh_fail("trial %d: the wait returned without a second participant", trial);
        jumps++;
        bh_phase_set("complete the round the jumper arrived in");
        int rc = pthread_barrier_wait(barrier);
        if (rc != PTHREAD_BARRIER_SERIAL_THREAD)
            bh_fail("trial %d: the round with the jumper's arrival returned %s", trial,
                    bh_err_name(rc));
        bh_phase_set("munmap after the jump (a leaked exit window hangs here)");
        if (munmap(barrier, 4096) != 0)
            bh_fail("munmap: %s", strerror(errno));
    }
    bh_pass("%d waiters left their wait by %s from a handler; the round completed and every "
            "munmap afterwards returned", jumps, argv[1]);
}
