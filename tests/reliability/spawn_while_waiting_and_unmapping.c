/* Reliability: vfork and posix_spawn work at any moment, from any thread,
 * while other threads are inside a wait or an unmap: the spawned program's
 * unmap lock is usable, it can use a process-shared barrier it inherited,
 * and the parent is unharmed.
 *
 * Two threads pass a process-shared barrier in a tight loop (so exit windows
 * of the unmap lock are almost always open) and another thread unmaps and
 * remaps in a loop.  Three threads spawn spawned_helper at once, again and
 * again: the main thread, one of the two barrier threads (between its
 * rounds) and the unmapper (between its cycles).  A vfork child only calls
 * execve or _exit.  Each spawned program unmaps with every wrapped call,
 * meets its spawner at a process-shared barrier in an inherited memfd page
 * (exactly one of the two gets PTHREAD_BARRIER_SERIAL_THREAD) and unmaps
 * that page while its spawner may still be leaving.  Every spawned program
 * must exit 0 within 2 s, and the parent's rounds and unmaps go on, checked.
 * Usage: spawn_while_waiting_and_unmapping vfork|posix_spawn HELPER */
#include "reliability.h"
#include "barrier_kind.h"
#include "spawn_rendezvous.h"
#include "busy_neighbours.h"
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

enum { MAX_SPAWNS = 600, MIN_SPAWNS = 60, MIN_BACKGROUND = 100, SPAWN_EVERY = 64 };
static const double RUN_SECONDS = 1.5, MAX_SECONDS = 8.0;
static const double CHILD_LIMIT_SECONDS = 2.0;

enum spawner { MAIN_SPAWNER, PARTICIPANT_SPAWNER, UNMAPPER_SPAWNER, SPAWNERS };
_Static_assert((int)SPAWNERS <= (int)MAX_SPAWNERS, "one rendezvous barrier per spawner");

static bool use_vfork;
static const char *helper_path;
static int rendezvous_fd;
static struct spawn_rendezvous *rendezvous;
static struct busy_neighbours busy; /* its barrier: count 2, process-shared */

static double started;
/* seq_cst (C's default): the spawn count, bounds the run. */
static atomic_int spawns;
static int spawner_serials[SPAWNERS], spawner_rendezvous[SPAWNERS];

static bool spawning_is_over(void)
{
    double elapsed = bh_now() - started;
    int done = atomic_load(&spawns);
    return done >= MAX_SPAWNS * (int)soak_factor() || elapsed >= MAX_SECONDS * soak_factor() ||
           (elapsed >= RUN_SECONDS * soak_factor() && done >= MIN_SPAWNS);
}

static pid_t start_helper(char *const helper_argv[])
{
    pid_t pid;
    if (use_vfork) {
        pid = vfork();
        if (pid == 0) {
            execve(helper_path, helper_argv, environ); /* all a vfork child may do */
            _exit(SPAWNED_EXEC_FAILED);
        }
        if (pid < 0)
            bh_setup_error("vfork failed: %s", strerror(errno));
    } else {
        int rc = posix_spawn(&pid, helper_path, NULL, NULL, helper_argv, environ);
        if (rc != 0)
            bh_setup_error("posix_spawn failed: %s", strerror(rc));
    }
    return pid;
}

static const char *helper_failure(int status)
{
    switch (status) {
    case SPAWNED_USAGE: return "bad arguments";
    case SPAWNED_UNMAP_FAILED: return "a wrapped unmap of its own memory failed";
    case SPAWNED_MAP_FAILED: return "it could not map the inherited rendezvous page";
    case SPAWNED_WAIT_FAILED: return "its wait at the inherited barrier returned an error";
    case SPAWNED_UNMAP_VIEW_FAILED: return "munmap of its view right after the wait failed";
    case SPAWNED_EXEC_FAILED: return "exec failed";
    default: return "exit status not 0";
    }
}

/* One spawn by `who`: start the helper, meet it, reap it within the limit. */
static void spawn_once(enum spawner who)
{
    char fd_text[16], index_text[16];
    snprintf(fd_text, sizeof fd_text, "%d", rendezvous_fd);
    snprintf(index_text, sizeof index_text, "%d", (int)who);
    char *helper_argv[] = {(char *)helper_path, fd_text, index_text, NULL};

    pid_t pid = start_helper(helper_argv);
    int number = atomic_fetch_add(&spawns, 1) + 1;
    bh_phase_set("a spawner waiting for its spawned program at their inherited barrier");
    int rc = pthread_barrier_wait(&rendezvous->barrier[who]);
    if (!bh_wait_ok(rc))
        bh_fail("spawn #%d: the spawner's wait at the rendezvous returned %s", number, bh_err_name(rc));
    spawner_rendezvous[who]++;
    if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
        spawner_serials[who]++;

    double spawned = bh_now();
    int status;
    pid_t got;
    while ((got = waitpid(pid, &status, WNOHANG)) == 0) {
        if (bh_now() - spawned > CHILD_LIMIT_SECONDS) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            printf("HANG: spawn #%d: the spawned program did not exit within %.0f s\n", number,
                   CHILD_LIMIT_SECONDS);
            _exit(BH_HANG);
        }
        rel_sleep_us(200);
    }
    if (got < 0)
        bh_setup_error("waitpid failed: %s", strerror(errno));
    if (WIFSIGNALED(status))
        bh_fail("spawn #%d: the spawned program was killed by signal %d (%s)", number,
                WTERMSIG(status), strsignal(WTERMSIG(status)));
    if (WEXITSTATUS(status) != 0)
        bh_fail("spawn #%d: the spawned program: %s", number, helper_failure(WEXITSTATUS(status)));
}

/* Participant 0 spawns every SPAWN_EVERY rounds, the unmapper every
 * SPAWN_EVERY cycles. */
static void spawn_after_round(int index, long round)
{
    if (index == 0 && round % SPAWN_EVERY == 0 && !atomic_load(&busy.stop))
        spawn_once(PARTICIPANT_SPAWNER);
}

static void spawn_after_cycle(long cycle)
{
    if (cycle % SPAWN_EVERY == 0)
        spawn_once(UNMAPPER_SPAWNER);
}

static void prepare_rendezvous(void)
{
    rendezvous_fd = memfd_create("spawn-rendezvous", 0); /* no MFD_CLOEXEC: inherited */
    if (rendezvous_fd < 0 || ftruncate(rendezvous_fd, sizeof *rendezvous) != 0)
        bh_setup_error("memfd_create/ftruncate failed: %s", strerror(errno));
    rendezvous = mmap(NULL, sizeof *rendezvous, PROT_READ | PROT_WRITE, MAP_SHARED, rendezvous_fd, 0);
    if (rendezvous == MAP_FAILED)
        bh_setup_error("mmap of the memfd failed");
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    for (int i = 0; i < SPAWNERS; i++)
        if (pthread_barrier_init(&rendezvous->barrier[i], &attr, 2) != 0)
            bh_setup_error("pthread_barrier_init of a rendezvous barrier failed");
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "vfork") && strcmp(argv[1], "posix_spawn"))) {
        fprintf(stderr, "usage: %s vfork|posix_spawn HELPER\n", argv[0]);
        return BH_SETUP;
    }
    use_vfork = strcmp(argv[1], "vfork") == 0;
    helper_path = argv[2];
    rel_start("setup", 20);
    prepare_rendezvous();
    pthread_barrier_t *looped_on = new_barrier(true, 2);

    started = bh_now();
    busy.after_round = spawn_after_round;
    busy.after_cycle = spawn_after_cycle;
    busy_neighbours_start(&busy, looped_on);

    bh_phase_set("spawning while other threads wait, unmap and spawn");
    while (!spawning_is_over())
        spawn_once(MAIN_SPAWNER);

    bh_phase_set("stopping the busy threads");
    busy_neighbours_stop(&busy);

    bh_phase_set("checking");
    for (int i = 0; i < SPAWNERS; i++) {
        int serials = spawner_serials[i] + atomic_load(&rendezvous->child_serials[i]);
        if (serials != spawner_rendezvous[i])
            bh_fail("spawner %d met its programs %d times, with %d PTHREAD_BARRIER_SERIAL_THREAD "
                    "results between them (expected one per meeting)", i, spawner_rendezvous[i], serials);
    }
    if (atomic_load(&spawns) < MIN_SPAWNS)
        bh_setup_error("only %d spawns (want >= %d)", atomic_load(&spawns), MIN_SPAWNS);
    busy_neighbours_check(&busy, MIN_BACKGROUND);
    for (int i = 0; i < SPAWNERS; i++) {
        int rc = pthread_barrier_destroy(&rendezvous->barrier[i]);
        if (rc != 0)
            bh_fail("destroy of rendezvous barrier %d returned %s", i, bh_err_name(rc));
    }
    bh_pass("%s: %d programs spawned (%d by the main thread, %d by a barrier thread, %d by the "
            "unmapper) amid %ld process-shared rounds and %ld unmap cycles; each unmapped, met its "
            "spawner at an inherited barrier and exited", argv[1], atomic_load(&spawns),
            spawner_rendezvous[MAIN_SPAWNER], spawner_rendezvous[PARTICIPANT_SPAWNER],
            spawner_rendezvous[UNMAPPER_SPAWNER], atomic_load(&busy.rounds),
            atomic_load(&busy.unmapper_cycles));
}
