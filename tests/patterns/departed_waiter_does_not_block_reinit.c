/* Behaviour: a waiter that left a blocked pthread_barrier_wait without
 * returning from it (its thread was cancelled asynchronously and joined, or
 * jumped out of a signal handler with siglongjmp, or does not exist in a
 * fork child) does not keep the barrier busy: once no live thread is
 * blocked in it, pthread_barrier_destroy and pthread_barrier_init return 0.
 * After the re-init, a round needs all `count` arrivals again: the departed
 * arrival is gone with the old barrier (no lone waiter is released by it).
 *
 * And, as before, the round the leaver had joined still completes for the
 * others once the remaining participants arrive: its arrival stays counted
 * (count 3: the leaver and A wait, the leaver leaves, the main thread
 * arrives; A and the main thread return, one of them with
 * PTHREAD_BARRIER_SERIAL_THREAD).
 *
 * Sub-cases: LEAVE-MEMORY-REINIT, or fork-child-REINIT
 *  LEAVE   cancel     PTHREAD_CANCEL_ASYNCHRONOUS, pthread_cancel, pthread_join
 *          siglongjmp a signal handler jumps out of the wait; the thread ends
 *  MEMORY  private    PTHREAD_PROCESS_PRIVATE in a private page
 *          shared     PTHREAD_PROCESS_SHARED in a MAP_SHARED page
 *  REINIT  destroy    the barrier left behind is destroyed (must return 0),
 *                     then initialised again (must return 0)
 *          init       it is initialised again without destroy (must return 0)
 *  fork-child: a worker of the parent is blocked in a private barrier
 *          (count 2); the parent forks; in the child, where the worker does
 *          not exist, the barrier is destroyed and/or initialised (0), and
 *          its next round needs two of the child's threads.  Back in the
 *          parent, the worker's round completes when the parent arrives.
 *
 * Stock glibc copes with the `init` sub-cases; its destroy waits for ever
 * for the departed waiter to leave, so the `destroy` ones have no control. */
#include "patterns.h"
#include <setjmp.h>

enum leave_kind { CANCEL, SIGLONGJMP, FORK_CHILD };

static enum leave_kind leave_kind;
static bool shared, destroy_first;
static pthread_barrier_t *barrier;

/* ---- the leaver --------------------------------------------------------- */

struct leaver {
    pthread_t thread;
    _Atomic pid_t tid;
    atomic_int jumped, returned;
    int result;
};
static sigjmp_buf leaver_jump;

static void jump_out_of_wait(int sig)
{
    (void)sig;
    siglongjmp(leaver_jump, 1);
}

static void *leaver_main(void *arg)
{
    struct leaver *l = arg;
    if (leave_kind == CANCEL) {
        pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
    } else if (sigsetjmp(leaver_jump, 1)) {
        atomic_store(&l->jumped, 1);
        return NULL;
    }
    atomic_store(&l->tid, gettid());
    l->result = pthread_barrier_wait(barrier);
    atomic_store(&l->returned, 1);
    return NULL;
}

/* Starts a leaver, lets it fall asleep in its wait, and makes it leave. */
static void leave_a_wait(const char *when)
{
    static struct leaver l;
    memset(&l, 0, sizeof l);
    if (pthread_create(&l.thread, NULL, leaver_main, &l) != 0)
        bh_setup_error("pthread_create failed");
    for (int i = 0; i < 3000 && atomic_load(&l.tid) == 0; i++)
        bh_sleep_ms(1);
    if (atomic_load(&l.tid) == 0 || bh_wait_until_asleep(atomic_load(&l.tid), 3000) != 0)
        bh_setup_error("%s: the leaver never fell asleep in its wait", when);
    if (atomic_load(&l.returned))
        bh_fail("%s: the leaver's wait returned %s before its round was complete", when,
                bh_err_name(l.result));
    void *exit_value = NULL;
    if (leave_kind == CANCEL) {
        pthread_cancel(l.thread);
        pthread_join(l.thread, &exit_value);
        if (exit_value != PTHREAD_CANCELED)
            bh_setup_error("%s: the leaver was not cancelled in its wait", when);
    } else {
        pthread_kill(l.thread, SIGUSR1);
        pthread_join(l.thread, &exit_value);
        if (!atomic_load(&l.jumped))
            bh_setup_error("%s: the leaver did not jump out of its wait", when);
    }
    if (atomic_load(&l.returned))
        bh_fail("%s: the leaver's wait returned %s", when, bh_err_name(l.result));
}

/* ---- shared steps ------------------------------------------------------- */

static void init_or_fail(unsigned count, const char *when)
{
    pthread_barrierattr_t attr = pt_attr(shared);
    int rc = pthread_barrier_init(barrier, &attr, count);
    pthread_barrierattr_destroy(&attr);
    if (rc != 0)
        bh_fail("%s: pthread_barrier_init(count %u) returned %s", when, count, bh_err_name(rc));
}

static void destroy_or_fail(const char *when)
{
    int rc = pthread_barrier_destroy(barrier);
    if (rc != 0)
        bh_fail("%s: pthread_barrier_destroy returned %s", when, bh_err_name(rc));
}

/* Re-initialises the barrier after a departure, as the sub-case says. */
static void reinit(unsigned count, const char *when)
{
    char what[160];
    if (destroy_first) {
        snprintf(what, sizeof what, "destroy %s", when);
        destroy_or_fail(what);
    }
    snprintf(what, sizeof what, "init %s", when);
    init_or_fail(count, what);
}

/* A count-2 round on a freshly re-initialised barrier needs two arrivals:
 * waiter B stays blocked until the calling thread arrives. */
static void next_round_needs_everyone(const char *when)
{
    struct pt_waiter b;
    pt_start_blocked_waiter(&b, barrier, "the first waiter after the re-init");
    if (!pt_stays_clear(&b.returned, 100))
        bh_fail("%s: the first waiter on the re-initialised barrier (count 2) returned %s alone",
                when, bh_err_name(b.result));
    int mine = pthread_barrier_wait(barrier);
    pthread_join(b.thread, NULL);
    if (!bh_wait_ok(mine) || !bh_wait_ok(b.result))
        bh_fail("%s: the round after the re-init returned %s and %s", when, bh_err_name(mine),
                bh_err_name(b.result));
    if ((mine == PTHREAD_BARRIER_SERIAL_THREAD) + (b.result == PTHREAD_BARRIER_SERIAL_THREAD) != 1)
        bh_fail("%s: the round after the re-init produced %d PTHREAD_BARRIER_SERIAL_THREAD", when,
                (mine == PTHREAD_BARRIER_SERIAL_THREAD) + (b.result == PTHREAD_BARRIER_SERIAL_THREAD));
}

/* ---- cancel, siglongjmp ------------------------------------------------- */

static void threads_case(void)
{
    barrier = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                   (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
    if (barrier == MAP_FAILED)
        bh_setup_error("mmap failed");

    bh_phase_set("the round a leaver had joined completes for the others");
    init_or_fail(3, "the first barrier");
    struct pt_waiter a;
    pt_start_blocked_waiter(&a, barrier, "waiter A");
    leave_a_wait("count 3, beside waiter A");
    if (!pt_stays_clear(&a.returned, 50))
        bh_fail("waiter A returned %s when the leaver left, before the round was complete",
                bh_err_name(a.result));
    int mine = pthread_barrier_wait(barrier);
    pthread_join(a.thread, NULL);
    if (!bh_wait_ok(mine) || !bh_wait_ok(a.result))
        bh_fail("the leaver's round returned %s (main) and %s (A)", bh_err_name(mine), bh_err_name(a.result));
    if ((mine == PTHREAD_BARRIER_SERIAL_THREAD) + (a.result == PTHREAD_BARRIER_SERIAL_THREAD) != 1)
        bh_fail("the leaver's round produced %d PTHREAD_BARRIER_SERIAL_THREAD for A and the main thread",
                (mine == PTHREAD_BARRIER_SERIAL_THREAD) + (a.result == PTHREAD_BARRIER_SERIAL_THREAD));

    bh_phase_set("a barrier whose only waiter left");
    reinit(2, "after the leaver's round completed");
    leave_a_wait("count 2, alone");
    bh_phase_set("re-initialising the barrier the departed waiter left");
    reinit(2, "after its only waiter left its wait");
    bh_phase_set("the first round after the re-init");
    next_round_needs_everyone("after the departed waiter");

    bh_phase_set("a second departure, on the re-initialised barrier");
    leave_a_wait("count 2, alone, on the re-initialised barrier");
    reinit(2, "after the second departure");
    next_round_needs_everyone("after the second departure");
    destroy_or_fail("after the last round");
}

/* ---- fork-child --------------------------------------------------------- */

static void fork_child_case(void)
{
    barrier = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (barrier == MAP_FAILED)
        bh_setup_error("mmap failed");
    init_or_fail(2, "the parent's barrier");
    bh_phase_set("a worker of the parent blocks in the barrier");
    struct pt_waiter w;
    pt_start_blocked_waiter(&w, barrier, "the parent's worker");

    pid_t child = fork();
    if (child < 0)
        bh_setup_error("fork failed");
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        bh_arm_alarm(10);
        bh_phase_set("child: re-initialising the barrier whose waiter is not in this process");
        reinit(2, "in a fork child, where the blocked worker does not exist");
        bh_phase_set("child: the first round after the re-init");
        next_round_needs_everyone("in the fork child");
        destroy_or_fail("in the fork child, after its round");
        _exit(BH_PASS);
    }
    bh_phase_set("waiting for the child");
    int status;
    if (waitpid(child, &status, 0) != child)
        bh_setup_error("waitpid failed");
    if (!WIFEXITED(status))
        bh_fail("the fork child was killed by signal %d", WTERMSIG(status));
    if (WEXITSTATUS(status) != 0)
        _exit(WEXITSTATUS(status)); /* it printed why */

    bh_phase_set("the parent completes its worker's round");
    if (!pt_stays_clear(&w.returned, 20))
        bh_fail("the parent's worker returned %s while its round was incomplete", bh_err_name(w.result));
    int mine = pthread_barrier_wait(barrier);
    pthread_join(w.thread, NULL);
    if (!bh_wait_ok(mine) || !bh_wait_ok(w.result))
        bh_fail("the parent's round returned %s and %s", bh_err_name(mine), bh_err_name(w.result));
    destroy_or_fail("in the parent, after its round");
}

int main(int argc, char **argv)
{
    const char *usage = "(cancel|siglongjmp)-(private|shared)-(destroy|init) | fork-child-(destroy|init)";
    if (argc != 2) {
        fprintf(stderr, "usage: %s %s\n", argv[0], usage);
        return BH_SETUP;
    }
    const char *c = argv[1];
    if (strncmp(c, "cancel-", 7) == 0) {
        leave_kind = CANCEL;
        c += 7;
    } else if (strncmp(c, "siglongjmp-", 11) == 0) {
        leave_kind = SIGLONGJMP;
        c += 11;
    } else if (strncmp(c, "fork-child-", 11) == 0) {
        leave_kind = FORK_CHILD;
        c += 11;
    } else {
        fprintf(stderr, "usage: %s %s\n", argv[0], usage);
        return BH_SETUP;
    }
    if (leave_kind != FORK_CHILD) {
        if (strncmp(c, "private-", 8) == 0) {
            c += 8;
        } else if (strncmp(c, "shared-", 7) == 0) {
            shared = true;
            c += 7;
        } else {
            fprintf(stderr, "usage: %s %s\n", argv[0], usage);
            return BH_SETUP;
        }
    }
    if (strcmp(c, "destroy") == 0) {
        destroy_first = true;
    } else if (strcmp(c, "init") != 0) {
        fprintf(stderr, "usage: %s %s\n", argv[0], usage);
        return BH_SETUP;
    }
    bh_start("setup", 10);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = jump_out_of_wait;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    if (leave_kind == FORK_CHILD)
        fork_child_case();
    else
        threads_case();
    bh_pass("%s: after a waiter left its wait, destroy and init returned 0 and the next rounds needed "
            "every participant", argv[1]);
}
