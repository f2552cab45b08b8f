/* destroy_blocked: pthread_barrier_destroy while a participant is blocked
   in an incomplete round must return EBUSY and leave the waiter unharmed:
   it stays blocked, and when the second participant arrives the round
   completes with exactly one PTHREAD_BARRIER_SERIAL_THREAD. Each round:
   init a count-2 barrier, start a waiter (a thread, or with --process a
   forked process), wait until the kernel shows it asleep, destroy, then
   arrive. The window is covered when the waiter was seen asleep in the
   wait and had not returned when destroy was called.

   usage: destroy_blocked [--pshared] [--process] [--rounds N] [--seconds S]
                          [--keep-going] [--progress-ms MS] */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe_run.h"

enum failure { NOT_EBUSY, EARLY, SERIAL, ERROR };
static const char *const failure_names[] = {"not-ebusy", "early", "serial", "error"};

/* How long a waiter may take to fall asleep before we destroy anyway. */
#define ASLEEP_LIMIT_NS 200000000L
/* How long a refused destroy is given to wrongly release the waiter. */
#define AFTER_DESTROY_NS 200000L

static const char usage[] =
    "usage: destroy_blocked [--pshared] [--process] [options]\n"
    "  --pshared  a process-shared barrier in a MAP_SHARED page\n"
    "  --process  the blocked waiter is a forked process (implies --pshared)\n"
    PROBE_OPTIONS_USAGE
    "exit: 0 every round passed, 1 some failed, 2 usage or setup error\n";

/* In a MAP_SHARED page, so a forked waiter can use it too. */
struct shared {
    pthread_barrier_t barrier;
    atomic_int waiter_id;     /* thread or process id, once it is about to wait */
    atomic_bool waiter_returned;
    atomic_int waiter_result;
};

static struct shared *shared;
static bool pshared, as_process;

static void *waiter_thread(void *unused)
{
    (void)unused;
    atomic_store(&shared->waiter_id, (int)syscall(SYS_gettid));
    int result = pthread_barrier_wait(&shared->barrier);
    atomic_store(&shared->waiter_result, result);
    atomic_store(&shared->waiter_returned, true);
    return NULL;
}

static void sleep_ns(long ns)
{
    struct timespec pause = {.tv_sec = 0, .tv_nsec = ns};
    nanosleep(&pause, NULL);
}

/* The state letter of /proc/<id>/stat: 'S' while asleep in the kernel. */
static char state_of(int id)
{
    char path[64], text[512];
    snprintf(path, sizeof path, "/proc/%d/stat", id);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return '?';
    ssize_t got = read(fd, text, sizeof text - 1);
    close(fd);
    if (got <= 0)
        return '?';
    text[got] = '\0';
    const char *paren = strrchr(text, ')');
    return paren && paren[1] == ' ' ? paren[2] : '?';
}

/* True once the waiter is seen asleep (and has not returned). */
static bool wait_until_asleep(void)
{
    int id;
    while ((id = atomic_load(&shared->waiter_id)) == 0)
        sched_yield();
    for (long waited = 0; waited < ASLEEP_LIMIT_NS; waited += 20000) {
        if (atomic_load(&shared->waiter_returned))
            return false;
        if (state_of(id) == 'S')
            return !atomic_load(&shared->waiter_returned);
        sleep_ns(20000);
    }
    return false;
}

static bool start_waiter(pthread_t *thread, pid_t *child)
{
    if (!as_process)
        return pthread_create(thread, NULL, waiter_thread, NULL) == 0;
    *child = fork();
    if (*child == 0) {
        waiter_thread(NULL);
        _exit(0);
    }
    if (*child > 0)
        atomic_store(&shared->waiter_id, *child);
    return *child > 0;
}

static void join_waiter(pthread_t thread, pid_t child)
{
    if (!as_process) {
        pthread_join(thread, NULL);
        return;
    }
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status)) { /* the waiter crashed: so do we, the same way */
        printf("destroy_blocked: the waiter process was killed by signal %d\n",
               WTERMSIG(status));
        fflush(stdout);
        signal(WTERMSIG(status), SIG_DFL);
        raise(WTERMSIG(status));
    }
}

static void check_round(int destroy_result, int mine)
{
    int theirs = atomic_load(&shared->waiter_result);
    bool ok_mine = mine == 0 || mine == PTHREAD_BARRIER_SERIAL_THREAD;
    bool ok_theirs = theirs == 0 || theirs == PTHREAD_BARRIER_SERIAL_THREAD;
    if (!ok_mine || !ok_theirs)
        probe_fail(ERROR, "the waits returned %d and %d", mine, theirs);
    else if ((mine == PTHREAD_BARRIER_SERIAL_THREAD) +
                 (theirs == PTHREAD_BARRIER_SERIAL_THREAD) != 1)
        probe_fail(SERIAL, "the round's waits returned %d and %d: not exactly one "
                   "PTHREAD_BARRIER_SERIAL_THREAD", mine, theirs);
    if (destroy_result == EBUSY) {
        int error = pthread_barrier_destroy(&shared->barrier);
        if (error != 0)
            probe_fail(ERROR, "destroy after the completed round returned %d (%s)", error,
                       strerror(error));
    }
}

static void run_round(const pthread_barrierattr_t *attr)
{
    atomic_store(&shared->waiter_id, 0);
    atomic_store(&shared->waiter_returned, false);
    int error = pthread_barrier_init(&shared->barrier, attr, 2);
    if (error != 0) {
        probe_fail(ERROR, "pthread_barrier_init(count 2) returned %d (%s)", error,
                   strerror(error));
        probe_round_done(false);
        return;
    }
    pthread_t thread;
    pid_t child = 0;
    if (!start_waiter(&thread, &child)) {
        printf("destroy_blocked: cannot start the waiter: %s\n", strerror(errno));
        exit(2);
    }
    bool covered = wait_until_asleep();
    if (atomic_load(&shared->waiter_returned))
        probe_fail(EARLY, "the waiter returned %d from a count-2 wait nobody else was in",
                   atomic_load(&shared->waiter_result));
    int destroy_result = pthread_barrier_destroy(&shared->barrier);
    if (destroy_result != EBUSY)
        probe_fail(NOT_EBUSY, "destroy while a waiter was blocked returned %d (%s), expected "
                   "EBUSY", destroy_result, strerror(destroy_result));
    sleep_ns(AFTER_DESTROY_NS);
    if (covered && atomic_load(&shared->waiter_returned))
        probe_fail(EARLY, "the blocked waiter returned %d after the destroy, before the round "
                   "was complete", atomic_load(&shared->waiter_result));
    int mine = pthread_barrier_wait(&shared->barrier);
    join_waiter(thread, child);
    check_round(destroy_result, mine);
    probe_round_done(covered);
}

static bool parse(int argc, char **argv, struct probe *probe)
{
    static const struct option options[] = {
        {"pshared", no_argument, NULL, 'p'}, {"process", no_argument, NULL, 'P'},
        PROBE_LONG_OPTIONS, {NULL, 0, NULL, 0},
    };
    for (int c; (c = getopt_long(argc, argv, "", options, NULL)) != -1;) {
        if (c == 'p')
            pshared = true;
        else if (c == 'P')
            as_process = pshared = true;
        else if (!probe_option(probe, c, optarg))
            return false;
    }
    return optind == argc;
}

int main(int argc, char **argv)
{
    struct probe probe = {.name = "destroy_blocked", .kind_names = failure_names, .kinds = 4,
                          .max_rounds = 1000, .max_seconds = 5};
    if (!parse(argc, argv, &probe)) {
        fputs(usage, stderr);
        return 2;
    }
    shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE,
                  (pshared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    if (shared == MAP_FAILED ||
        (pshared && pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) != 0)) {
        fprintf(stderr, "destroy_blocked: setup failed\n");
        return 2;
    }
    printf("destroy_blocked: start pshared=%s waiter=%s rounds<=%lu seconds<=%g\n",
           pshared ? "yes" : "no", as_process ? "process" : "thread", probe.max_rounds,
           probe.max_seconds);
    fflush(stdout);
    probe_start(&probe);
    while (probe_more())
        run_round(&attr);
    return probe_finish();
}
