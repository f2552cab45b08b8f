/* Reliability: fork() from a signal handler that interrupted a thread inside
 * pthread_barrier_wait leaves the child a usable unmap lock and the parent
 * unharmed.
 *
 * Two threads pass a barrier of the sub-case's kind in a tight loop (for
 * "shared", a process-shared one in a MAP_SHARED page: both hold exit windows
 * of the unmap lock most of the time) and a third unmaps and remaps in a
 * loop.  The main thread sends SIGUSR1 to the two barrier threads in turn;
 * the handler forks.  The child at once calls every wrapped unmap (munmap,
 * mmap(MAP_FIXED), mremap, shmdt) and waits on a count-1 process-shared
 * barrier it inherited, which must return PTHREAD_BARRIER_SERIAL_THREAD;
 * it must exit 0 within 2 s (a child that hangs inherited a held unmap
 * lock).  Most forks must come from a handler that interrupted a wait; the
 * parent's rounds must stay correct.  Sub-case: private | shared. */
#include "reliability.h"
#include "barrier_kind.h"
#include "scratch_unmaps.h"
#include "busy_neighbours.h"
#include <sys/prctl.h>
#include <sys/wait.h>

enum { MAX_FORKS = 400, MIN_FORKS = 50, MIN_FORKS_DURING_WAIT = 25, MIN_BACKGROUND = 100 };
static const double RUN_SECONDS = 1.5, MAX_SECONDS = 8.0;
static const double CHILD_LIMIT_SECONDS = 2.0;

enum child_status { CHILD_OK, CHILD_UNMAP_FAILED = 10, CHILD_WAIT_NOT_SERIAL };

static struct busy_neighbours busy;  /* its barrier: count 2, of the sub-case's kind */
static pthread_barrier_t *inherited; /* count 1, process-shared, used by the children */
static struct scratch scratch;       /* unmapped by the children */
/* All atomics in this file are seq_cst (C's default): test bookkeeping, where
 * simple beats fast. */

/* Set by a barrier thread around each of its waits, read by its handler. */
static __thread volatile sig_atomic_t t_in_wait;
/* What the last handler did; the main thread clears `forked` before each
 * signal and waits for it.  The handler stores pid, error and in-wait
 * before `forked`, and main loads them after seeing it: seq_cst orders both
 * sides. */
static atomic_int forked;
static atomic_int fork_pid;
static atomic_int fork_was_in_wait;
static atomic_int fork_error;

/* The child of a fork in a handler: async-signal-safe calls only. */
static int child_body(void)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a killed test */
    for (unsigned kind = 0; kind < SCRATCH_KINDS; kind++)
        if (scratch_unmap(&scratch, kind) != NULL)
            return CHILD_UNMAP_FAILED;
    if (pthread_barrier_wait(inherited) != PTHREAD_BARRIER_SERIAL_THREAD)
        return CHILD_WAIT_NOT_SERIAL;
    return CHILD_OK;
}

/* The barrier threads' around_wait hook. */
static void mark_in_wait(bool entering)
{
    t_in_wait = entering;
}

static void fork_in_handler(int sig)
{
    (void)sig;
    const int saved_errno = errno;
    const int in_wait = t_in_wait;
    pid_t pid = fork();
    if (pid == 0)
        _exit(child_body());
    atomic_store(&fork_pid, pid);
    atomic_store(&fork_error, pid < 0 ? errno : 0);
    atomic_store(&fork_was_in_wait, in_wait);
    atomic_store(&forked, 1);
    errno = saved_errno;
}

/* Signals `target`, waits for its handler's fork, reaps the child. Returns
 * whether the handler had interrupted a wait. */
static bool fork_from_handler_of(pthread_t target, int number)
{
    atomic_store(&forked, 0);
    if (pthread_kill(target, SIGUSR1) != 0)
        bh_setup_error("pthread_kill failed");
    double sent = bh_now();
    while (!atomic_load(&forked)) {
        if (bh_now() - sent > CHILD_LIMIT_SECONDS)
            bh_fail("fork #%d: the handler did not fork within %.0f s", number, CHILD_LIMIT_SECONDS);
        rel_sleep_us(100);
    }
    if (atomic_load(&fork_error) != 0)
        bh_setup_error("fork in the handler failed: %s", strerror(atomic_load(&fork_error)));
    pid_t pid = atomic_load(&fork_pid);
    double forked_at = bh_now();
    int status;
    pid_t got;
    while ((got = waitpid(pid, &status, WNOHANG)) == 0) {
        if (bh_now() - forked_at > CHILD_LIMIT_SECONDS) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            printf("HANG: fork #%d (in a handler%s): the child did not exit within %.0f s "
                   "(inherited a held unmap lock?)\n", number,
                   atomic_load(&fork_was_in_wait) ? " that interrupted a wait" : "",
                   CHILD_LIMIT_SECONDS);
            _exit(BH_HANG);
        }
        rel_sleep_us(100);
    }
    if (got < 0)
        bh_setup_error("waitpid failed: %s", strerror(errno));
    if (WIFSIGNALED(status))
        bh_fail("fork #%d: the child was killed by signal %d (%s)", number, WTERMSIG(status),
                strsignal(WTERMSIG(status)));
    if (WEXITSTATUS(status) == CHILD_UNMAP_FAILED)
        bh_fail("fork #%d: a wrapped unmap failed in the child", number);
    if (WEXITSTATUS(status) == CHILD_WAIT_NOT_SERIAL)
        bh_fail("fork #%d: the child's wait on its inherited count-1 barrier did not return "
                "PTHREAD_BARRIER_SERIAL_THREAD", number);
    if (WEXITSTATUS(status) != 0)
        bh_fail("fork #%d: the child exited with status %d", number, WEXITSTATUS(status));
    return atomic_load(&fork_was_in_wait) != 0;
}

int main(int argc, char **argv)
{
    bool shared = rel_shared_sub_case(argc, argv);
    rel_start("setup", 20);
    pthread_barrier_t *looped_on = new_barrier(shared, 2);
    inherited = new_barrier(true, 1);
    scratch_prepare(&scratch);
    install_handler_without_restart(SIGUSR1, fork_in_handler);

    busy.around_wait = mark_in_wait;
    busy_neighbours_start(&busy, looped_on);

    bh_phase_set("forking from handlers of barrier threads");
    double started = bh_now();
    int forks = 0, during_wait = 0;
    for (;;) {
        double elapsed = bh_now() - started;
        if (forks >= MAX_FORKS * (int)soak_factor() || elapsed >= MAX_SECONDS * soak_factor() ||
            (elapsed >= RUN_SECONDS * soak_factor() && forks >= MIN_FORKS &&
             during_wait >= MIN_FORKS_DURING_WAIT))
            break;
        forks++;
        if (fork_from_handler_of(busy.threads[forks % 2], forks))
            during_wait++;
    }

    bh_phase_set("stopping the busy threads");
    busy_neighbours_stop(&busy);
    if (forks < MIN_FORKS || during_wait < MIN_FORKS_DURING_WAIT)
        bh_setup_error("only %d forks, %d of them in a handler that interrupted a wait (want >= %d, %d)",
                       forks, during_wait, MIN_FORKS, MIN_FORKS_DURING_WAIT);
    busy_neighbours_check(&busy, MIN_BACKGROUND);
    bh_pass("%s: %d forks from signal handlers (%d interrupted a wait) amid %ld rounds and %ld "
            "unmap cycles; every child unmapped, used its inherited barrier and exited promptly",
            argv[1], forks, during_wait, atomic_load(&busy.rounds),
            atomic_load(&busy.unmapper_cycles));
}
