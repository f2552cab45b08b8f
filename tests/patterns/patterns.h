/* Shared scaffolding for the pattern tests: memory that held a barrier and is
 * reused, barriers that are moved, copied or abandoned by threads and
 * processes that no longer wait.  Builds on ../behaviour/behaviour.h (exit
 * codes, PASS/FAIL/HANG lines, the alarm). */
#ifndef PATTERNS_H
#define PATTERNS_H
#include "../behaviour/behaviour.h"
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

/* An attribute object for a private or process-shared barrier. */
static inline pthread_barrierattr_t pt_attr(bool shared)
{
    pthread_barrierattr_t attr;
    if (pthread_barrierattr_init(&attr) != 0 ||
        pthread_barrierattr_setpshared(&attr, shared ? PTHREAD_PROCESS_SHARED
                                                     : PTHREAD_PROCESS_PRIVATE) != 0)
        bh_setup_error("cannot build a barrier attribute");
    return attr;
}

/* Initialises a barrier the test itself relies on (not the one under test). */
static inline void pt_init_or_setup(pthread_barrier_t *b, bool shared, unsigned count)
{
    pthread_barrierattr_t attr = pt_attr(shared);
    int rc = pthread_barrier_init(b, &attr, count);
    if (rc != 0)
        bh_setup_error("pthread_barrier_init(count=%u, %s) returned %s", count,
                       shared ? "shared" : "private", bh_err_name(rc));
    pthread_barrierattr_destroy(&attr);
}

/* Anonymous shared memory, inherited by forked children. */
static inline void *pt_map_shared(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        bh_setup_error("mmap(MAP_SHARED) failed: %s", strerror(errno));
    return p;
}

/* Bounded polling: waits until *flag != 0, looking at most `limit_ms`
 * milliseconds (and at most limit_ms * 200 times).  Returns whether it
 * became non-zero. */
static inline bool pt_poll_until_set(atomic_int *flag, long limit_ms)
{
    double deadline = bh_now() + (double)limit_ms / 1000.0;
    for (long polls = 0; polls < limit_ms * 200; polls++) {
        if (atomic_load(flag) != 0)
            return true;
        if (bh_now() > deadline)
            break;
        if (polls < 100)
            sched_yield();
        else
            bh_sleep_ms(1);
    }
    return atomic_load(flag) != 0;
}

/* Bounded polling until *word == wanted (a value another thread or process
 * sets): at most `limit_ms` milliseconds and limit_ms * 2000 looks. */
static inline bool pt_poll_until_equal(_Atomic unsigned *word, unsigned wanted, long limit_ms)
{
    double deadline = bh_now() + (double)limit_ms / 1000.0;
    for (long polls = 0; polls < limit_ms * 2000; polls++) {
        if (atomic_load(word) == wanted)
            return true;
        if (bh_now() > deadline)
            break;
        sched_yield();
    }
    return atomic_load(word) == wanted;
}

/* Checks that *flag stays 0 for `ms` milliseconds: the thread that would set
 * it must still be blocked.  Returns false as soon as it is set. */
static inline bool pt_stays_clear(atomic_int *flag, long ms)
{
    double until = bh_now() + (double)ms / 1000.0;
    for (long polls = 0; polls < ms * 10 + 10; polls++) {
        if (atomic_load(flag) != 0)
            return false;
        if (bh_now() >= until)
            break;
        bh_sleep_ms(1);
    }
    return atomic_load(flag) == 0;
}


/* A thread that announces its id, then waits on `barrier` and records the
 * result and that it returned.  For "this waiter is blocked" checks. */
struct pt_waiter {
    pthread_barrier_t *barrier;
    _Atomic pid_t tid;
    atomic_int returned;
    int result;
    pthread_t thread;
};

static inline void *pt_waiter_main(void *arg)
{
    struct pt_waiter *w = arg;
    atomic_store(&w->tid, gettid());
    w->result = pthread_barrier_wait(w->barrier);
    atomic_store(&w->returned, 1);
    return NULL;
}

/* Starts a waiter and returns once it is asleep inside pthread_barrier_wait
 * (SETUP error if it never falls asleep, FAIL if it returns at once). */
static inline void pt_start_blocked_waiter(struct pt_waiter *w, pthread_barrier_t *barrier,
                                           const char *what)
{
    memset(w, 0, sizeof *w);
    w->barrier = barrier;
    if (pthread_create(&w->thread, NULL, pt_waiter_main, w) != 0)
        bh_setup_error("pthread_create failed");
    for (int i = 0; i < 3000 && atomic_load(&w->tid) == 0; i++)
        bh_sleep_ms(1);
    if (atomic_load(&w->tid) == 0)
        bh_setup_error("%s never started", what);
    if (bh_wait_until_asleep(atomic_load(&w->tid), 3000) != 0) {
        if (atomic_load(&w->returned))
            bh_fail("%s returned (%s) although its round was not complete", what,
                    bh_err_name(w->result));
        bh_setup_error("%s never fell asleep in pthread_barrier_wait", what);
    }
}

/* Child processes whose abnormal end must end the test at once (their
 * parent may be blocked in a barrier that the dead child would have
 * completed).  Watched by a SIGCHLD handler that peeks (WNOWAIT) so that
 * reap_children() still reaps every child. */
static pid_t pt_watched_children[16];
static int pt_watched_count;

/* Installs `handler` for `sig` with `flags`, nothing blocked while it runs. */
static inline void pt_install_handler(int sig, void (*handler)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}

static inline void pt_on_sigchld(int sig)
{
    (void)sig;
    int saved = errno;
    for (int i = 0; i < pt_watched_count; i++) {
        siginfo_t info;
        memset(&info, 0, sizeof info);
        if (pt_watched_children[i] <= 0 ||
            waitid(P_PID, (id_t)pt_watched_children[i], &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
            info.si_pid == 0)
            continue;
        if (info.si_code == CLD_EXITED && info.si_status == 0)
            continue;
        /* The child printed its own FAIL/HANG line, or died by a signal. */
        if (info.si_code != CLD_EXITED)
            bh_write_str("FAIL: a participant process was killed by a signal\n");
        _exit(info.si_code == CLD_EXITED ? info.si_status : BH_FAIL);
    }
    errno = saved;
}

static inline void pt_watch_children(const pid_t *pids, int n)
{
    for (int i = 0; i < n && i < 16; i++)
        pt_watched_children[i] = pids[i];
    pt_watched_count = n < 16 ? n : 16;
    pt_install_handler(SIGCHLD, pt_on_sigchld, SA_RESTART | SA_NOCLDSTOP);
    pt_on_sigchld(SIGCHLD); /* a child that already ended */
}

/* Robust-mode hygiene.  A robust barrier owns a System V semaphore set
 * until it is destroyed; a run that fails (a shim without the behaviour
 * under test) ends without destroying, and its sets would stay in the
 * system.  pt_run_cleaning_semaphores() runs the test body in a child
 * process and afterwards removes every set created meanwhile whose last
 * semop(2) came from one of the body's processes (they register with
 * pt_register_process()). */
#include <sys/sem.h>

struct pt_process_registry {
    atomic_int n;
    pid_t pids[64];
};
static struct pt_process_registry *pt_registry;

static inline void pt_register_process(void)
{
    if (pt_registry == NULL)
        return;
    int i = atomic_fetch_add(&pt_registry->n, 1);
    if (i < 64)
        pt_registry->pids[i] = getpid();
}

static inline int pt_semaphore_set_ids(int *ids, int max)
{
    FILE *f = fopen("/proc/sysvipc/sem", "r");
    if (!f)
        return -1;
    char line[256];
    int n = 0;
    if (fgets(line, sizeof line, f)) { /* the header */
        while (n < max && fgets(line, sizeof line, f)) {
            long key, id;
            if (sscanf(line, "%ld %ld", &key, &id) == 2)
                ids[n++] = (int)id;
        }
    }
    fclose(f);
    return n;
}

static inline bool pt_registered(pid_t pid)
{
    int n = atomic_load(&pt_registry->n);
    for (int i = 0; i < n && i < 64; i++)
        if (pt_registry->pids[i] == pid)
            return true;
    return false;
}

/* Runs body() in a child process and exits with its status (a signal
 * becomes a FAIL line), after removing the semaphore sets it left behind.
 * Without robust mode, just calls body(). */
__attribute__((noreturn)) static inline void pt_run_cleaning_semaphores(int (*body)(void), unsigned alarm_seconds)
{
    const char *robust = getenv("BARRIER_SHIM_ROBUST");
    if (robust == NULL || strcmp(robust, "1") != 0)
        _exit(body());
    static int before[8192], after[8192];
    int n_before = pt_semaphore_set_ids(before, 8192);
    pt_registry = pt_map_shared(sizeof *pt_registry);
    pid_t child = fork();
    if (child < 0)
        bh_setup_error("fork failed");
    if (child == 0) {
        pt_register_process();
        bh_arm_alarm(alarm_seconds);
        _exit(body());
    }
    alarm(alarm_seconds + 5);
    int status;
    while (waitpid(child, &status, 0) != child) {
    }
    int n_after = pt_semaphore_set_ids(after, 8192);
    for (int i = 0; i < n_after && n_before >= 0; i++) {
        bool old = false;
        for (int j = 0; j < n_before && !old; j++)
            old = before[j] == after[i];
        if (old)
            continue;
        for (int sem = 0; sem < 2; sem++) {
            int last = semctl(after[i], sem, GETPID);
            if (last > 0 && pt_registered(last)) {
                semctl(after[i], 0, IPC_RMID);
                break;
            }
        }
    }
    if (WIFEXITED(status))
        _exit(WEXITSTATUS(status));
    bh_fail("the test body was killed by signal %d", WTERMSIG(status));
}

/* malloc(size) until it returns `wanted` again, at most `max_tries` times.
 * The other blocks are stored in extras[] (the caller frees them).  Returns
 * the block, or NULL if the allocator never handed `wanted` back. */
static inline void *pt_malloc_until(void *wanted, size_t size, void **extras, int *n_extras,
                                    int max_tries)
{
    *n_extras = 0;
    for (int i = 0; i < max_tries; i++) {
        void *p = malloc(size);
        if (p == NULL)
            bh_setup_error("malloc(%zu) failed", size);
        if (p == wanted)
            return p;
        extras[(*n_extras)++] = p;
    }
    return NULL;
}

static inline void pt_free_all(void **blocks, int n)
{
    for (int i = 0; i < n; i++)
        free(blocks[i]);
}

#endif
