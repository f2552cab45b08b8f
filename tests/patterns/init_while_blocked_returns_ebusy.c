/* Behaviour: pthread_barrier_init over a barrier in which a live thread is
 * blocked in an incomplete round returns EBUSY and leaves the barrier as it
 * was (so does pthread_barrier_destroy): the blocked waiter stays blocked,
 * and when the remaining participants arrive the round completes normally.
 * Afterwards, with nobody blocked, init and destroy return 0.
 *
 * Sub-cases (the blocked participant):
 *  private                a thread of this process, private barrier (count 2)
 *  shared                 a thread of this process, process-shared barrier
 *                         in a MAP_SHARED page (count 2)
 *  shared-other-process   a child process, process-shared barrier (count 2)
 *  private-beside-departed
 *                         count 3: waiter A is blocked and another waiter has
 *                         left its wait (siglongjmp out of a signal handler):
 *                         A is still really blocked, so EBUSY still
 * POSIX leaves init over a barrier in use undefined; stock glibc 2.36
 * overwrites it and returns 0 (and strands the blocked waiter). */
#include "patterns.h"
#include <setjmp.h>

static pthread_barrier_t *barrier;
static bool shared;

static void expect_busy(const char *who, atomic_int *returned)
{
    pthread_barrierattr_t attr = pt_attr(shared);
    for (int attempt = 1; attempt <= 2; attempt++) {
        int rc = pthread_barrier_init(barrier, &attr, 2);
        if (rc != EBUSY)
            bh_fail("init #%d while %s is blocked returned %s, expected EBUSY", attempt, who,
                    bh_err_name(rc));
        rc = pthread_barrier_destroy(barrier);
        if (rc != EBUSY)
            bh_fail("destroy #%d while %s is blocked returned %s, expected EBUSY", attempt, who,
                    bh_err_name(rc));
        if (returned && !pt_stays_clear(returned, 20))
            bh_fail("%s returned after a refused init, before its round was complete", who);
    }
    pthread_barrierattr_destroy(&attr);
}

static void expect_idle_reusable(void)
{
    pthread_barrierattr_t attr = pt_attr(shared);
    int rc = pthread_barrier_init(barrier, &attr, 2);
    if (rc != 0)
        bh_fail("init over the barrier once its round was complete returned %s", bh_err_name(rc));
    rc = pthread_barrier_destroy(barrier);
    if (rc != 0)
        bh_fail("destroy once nobody was blocked returned %s", bh_err_name(rc));
    pthread_barrierattr_destroy(&attr);
}

static sigjmp_buf leaver_jump;
static _Atomic pid_t leaver_tid;
static atomic_int leaver_jumped;

static void jump_out(int sig)
{
    (void)sig;
    siglongjmp(leaver_jump, 1);
}

static void *leaver(void *arg)
{
    (void)arg;
    if (sigsetjmp(leaver_jump, 1)) {
        atomic_store(&leaver_jumped, 1);
        return NULL;
    }
    atomic_store(&leaver_tid, gettid());
    pthread_barrier_wait(barrier);
    bh_fail("the leaver's wait returned before its round was complete");
}

int main(int argc, char **argv)
{
    const char *usage = "private | shared | shared-other-process | private-beside-departed";
    if (argc != 2) {
        fprintf(stderr, "usage: %s %s\n", argv[0], usage);
        return BH_SETUP;
    }
    const char *c = argv[1];
    bool other_process = strcmp(c, "shared-other-process") == 0;
    bool beside_departed = strcmp(c, "private-beside-departed") == 0;
    shared = strcmp(c, "shared") == 0 || other_process;
    if (!shared && strcmp(c, "private") != 0 && !beside_departed) {
        fprintf(stderr, "usage: %s %s\n", argv[0], usage);
        return BH_SETUP;
    }
    bh_start("setup", 10);
    barrier = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                   (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
    if (barrier == MAP_FAILED)
        bh_setup_error("mmap failed");
    pt_init_or_setup(barrier, shared, beside_departed ? 3 : 2);

    if (other_process) {
        pid_t child = fork();
        if (child < 0)
            bh_setup_error("fork failed");
        if (child == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            bh_arm_alarm(10);
            int rc = pthread_barrier_wait(barrier);
            _exit(bh_wait_ok(rc) ? BH_PASS : BH_FAIL);
        }
        bh_phase_set("waiting for the child to fall asleep in its wait");
        if (bh_wait_until_process_asleep(child, 3000) != 0) {
            kill(child, SIGKILL);
            bh_setup_error("the child never fell asleep in its wait");
        }
        bh_phase_set("init and destroy while the child is blocked");
        expect_busy("a participant in another process", NULL);
        int status;
        if (waitpid(child, &status, WNOHANG) != 0)
            bh_fail("the blocked child returned from its wait after a refused init");
        bh_phase_set("completing the child's round");
        int rc = pthread_barrier_wait(barrier);
        if (!bh_wait_ok(rc))
            bh_fail("the completing wait returned %s", bh_err_name(rc));
        waitpid(child, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            bh_fail("the child's wait did not complete normally (status 0x%x)", (unsigned)status);
    } else {
        struct pt_waiter w;
        pt_start_blocked_waiter(&w, barrier, "the blocked waiter");
        if (beside_departed) {
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = jump_out;
            sigemptyset(&sa.sa_mask);
            sigaction(SIGUSR1, &sa, NULL);
            pthread_t l;
            if (pthread_create(&l, NULL, leaver, NULL) != 0)
                bh_setup_error("pthread_create failed");
            for (int i = 0; i < 3000 && atomic_load(&leaver_tid) == 0; i++)
                bh_sleep_ms(1);
            if (bh_wait_until_asleep(atomic_load(&leaver_tid), 3000) != 0)
                bh_setup_error("the leaver never fell asleep in its wait");
            pthread_kill(l, SIGUSR1);
            pthread_join(l, NULL);
            if (!atomic_load(&leaver_jumped))
                bh_setup_error("the leaver did not jump out of its wait");
        }
        bh_phase_set("init and destroy while a thread is blocked");
        expect_busy(beside_departed ? "a thread (beside one that left)" : "a thread", &w.returned);
        bh_phase_set("completing the blocked waiter's round");
        int rc = pthread_barrier_wait(barrier);
        pthread_join(w.thread, NULL);
        if (!bh_wait_ok(rc) || !bh_wait_ok(w.result))
            bh_fail("the round after the refused inits returned %s and %s", bh_err_name(rc),
                    bh_err_name(w.result));
        if ((rc == PTHREAD_BARRIER_SERIAL_THREAD) + (w.result == PTHREAD_BARRIER_SERIAL_THREAD) != 1)
            bh_fail("the round after the refused inits produced %d PTHREAD_BARRIER_SERIAL_THREAD",
                    (rc == PTHREAD_BARRIER_SERIAL_THREAD) + (w.result == PTHREAD_BARRIER_SERIAL_THREAD));
    }
    bh_phase_set("init and destroy once nobody is blocked");
    expect_idle_reusable();
    bh_pass("%s: init and destroy returned EBUSY while a participant was blocked; its round then completed",
            c);
}
