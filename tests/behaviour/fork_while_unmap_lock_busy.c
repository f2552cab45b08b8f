/* Behaviour: fork() from a multithreaded program never hands the child a
 * held unmap lock.  While two threads pass a process-shared barrier in a
 * tight loop (so barrier exits, which hold the unmap lock, are almost always
 * in progress) and another thread munmaps and mmap(MAP_FIXED)s in a loop,
 * the main thread forks repeatedly.  Each child at once calls every wrapped
 * unmapping function on memory it inherited: munmap, mmap(MAP_FIXED),
 * mremap (shrinking) and shmdt; and in the inherited-barrier sub-case it
 * also waits on a process-shared count-1 barrier it inherited, which must
 * return PTHREAD_BARRIER_SERIAL_THREAD.  Every child must exit 0 within
 * 2 s (a child that hangs inherited a held unmap lock).
 * Sub-case: plain | inherited-barrier. */
#include "children.h"
#include "busy_neighbours.h"
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>

/* Without the fix a child hangs within the first ten forks or so. */
enum { MAX_FORKS = 400, MIN_FORKS = 50, MIN_BACKGROUND = 100 };
static const double RUN_SECONDS = 1.5;   /* fork for this long ... */
static const double MAX_SECONDS = 5.0;   /* ... or until MIN_FORKS, up to this */
static const long CHILD_LIMIT_MS = 2000;

static struct busy_neighbours busy;   /* its barrier: count 2, process-shared */
static pthread_barrier_t *inherited;   /* count 1, used by the children */
static bool child_uses_barrier;

static char *page_to_unmap, *page_to_replace, *region_to_shrink;
static void *sysv_segment;

/* Runs in the child right after fork: async-signal-safe calls only. */
static int child(void)
{
    if (munmap(page_to_unmap, 4096) != 0)
        return 10;
    if (mmap(page_to_replace, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
        page_to_replace)
        return 11;
    if (mremap(region_to_shrink, 2 * 4096, 4096, 0) != region_to_shrink)
        return 12;
    if (shmdt(sysv_segment) != 0)
        return 13;
    if (child_uses_barrier && pthread_barrier_wait(inherited) != PTHREAD_BARRIER_SERIAL_THREAD)
        return 14;
    return 0;
}

static const char *child_failure(int code)
{
    switch (code) {
    case 10: return "munmap failed";
    case 11: return "mmap(MAP_FIXED) failed";
    case 12: return "mremap failed";
    case 13: return "shmdt failed";
    case 14: return "the inherited count-1 barrier's wait did not return PTHREAD_BARRIER_SERIAL_THREAD";
    default: return "unexpected exit status";
    }
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "plain") && strcmp(argv[1], "inherited-barrier"))) {
        fprintf(stderr, "usage: %s plain | inherited-barrier\n", argv[0]);
        return BH_SETUP;
    }
    child_uses_barrier = strcmp(argv[1], "inherited-barrier") == 0;
    bh_start("setup", 12);

    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_barrier_t *barriers = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (barriers == MAP_FAILED)
        bh_setup_error("mmap failed");
    inherited = &barriers[1];
    if (pthread_barrier_init(&barriers[0], &attr, 2) != 0 ||
        pthread_barrier_init(inherited, &attr, 1) != 0)
        bh_setup_error("pthread_barrier_init failed");

    /* Memory the children unmap; the parent's own copies stay. */
    char *pages = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pages == MAP_FAILED)
        bh_setup_error("mmap failed");
    page_to_unmap = pages;
    page_to_replace = pages + 4096;
    region_to_shrink = pages + 2 * 4096;
    int shmid = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    if (shmid < 0)
        bh_setup_error("shmget failed: %s", strerror(errno));
    sysv_segment = shmat(shmid, NULL, 0);
    shmctl(shmid, IPC_RMID, NULL); /* gone once the last attachment is */
    if (sysv_segment == (void *)-1)
        bh_setup_error("shmat failed: %s", strerror(errno));

    busy_neighbours_start(&busy, &barriers[0]);

    bh_phase_set("forking while other threads pass a process-shared barrier and unmap");
    double started = bh_now();
    int forks = 0;
    for (;;) {
        double elapsed = bh_now() - started;
        if (forks >= MAX_FORKS || elapsed >= MAX_SECONDS || (elapsed >= RUN_SECONDS && forks >= MIN_FORKS))
            break;
        pid_t pid = fork();
        if (pid < 0)
            bh_setup_error("fork failed: %s", strerror(errno));
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a killed test */
            _exit(child());
        }
        forks++;
        double forked = bh_now();
        int status;
        pid_t got;
        while ((got = waitpid(pid, &status, WNOHANG)) == 0) {
            if ((bh_now() - forked) * 1000 > CHILD_LIMIT_MS) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                printf("HANG: fork #%d's child did not exit within %ld ms (inherited a held unmap lock?)\n",
                       forks, CHILD_LIMIT_MS);
                _exit(BH_HANG);
            }
            struct timespec tick = {0, 100000};
            nanosleep(&tick, NULL);
        }
        if (got < 0)
            bh_setup_error("waitpid failed: %s", strerror(errno));
        if (WIFSIGNALED(status))
            bh_fail("fork #%d's child was killed by signal %d (%s)", forks, WTERMSIG(status),
                    strsignal(WTERMSIG(status)));
        if (WEXITSTATUS(status) != 0)
            bh_fail("fork #%d's child: %s", forks, child_failure(WEXITSTATUS(status)));
    }

    bh_phase_set("stopping the busy threads");
    busy_neighbours_stop(&busy);
    if (forks < MIN_FORKS)
        bh_setup_error("only %d forks in %.1f s (want >= %d)", forks, MAX_SECONDS, MIN_FORKS);
    busy_neighbours_check(&busy, MIN_BACKGROUND);
    bh_pass("%s: %d children forked amid %ld process-shared barrier rounds and %ld unmap cycles all unmapped%s and exited promptly",
            argv[1], forks, atomic_load(&busy.rounds), atomic_load(&busy.unmapper_cycles),
            child_uses_barrier ? ", used the inherited barrier" : "");
}
