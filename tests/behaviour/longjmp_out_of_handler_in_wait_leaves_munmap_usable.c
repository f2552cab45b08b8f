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

#include "behaviour.h"

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

static void busy_wait_us(long us)
{
    double until = bh_now() + us / 1e6;
    while (bh_now() < until) {
    }
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
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = jump_out;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    int jumps = 0;
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
