/* Behaviour: a PTHREAD_PROCESS_SHARED barrier works when the processes map
 * its memory at different addresses.  One process creates a shm_open object,
 * maps it and initialises the barrier; three other processes open the object
 * by name and map it at an address of their own (each at a different
 * offset inside freshly reserved address space; the check below insists the
 * four addresses differ).  All four use the barrier for thousands of rounds: every
 * wait returns 0 or SERIAL, nobody leaves early, exactly one SERIAL per
 * round.  The shm object is unlinked as soon as every process has opened
 * it, and on every exit path of the creating process. */
#include "children.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>

enum { PROCESSES = 4 /* the creator + 3 forked openers */, MAX_ROUNDS = 50000, MIN_ROUNDS = 1000 };
static const double RUN_SECONDS = 1.5, MAX_SECONDS = 5.0;

struct shared_state {
    pthread_barrier_t barrier;
    double started;
    atomic_int stop_after;
    atomic_int opened;
    _Atomic uintptr_t address[PROCESSES];
    atomic_int rounds_done[PROCESSES];
    atomic_int arrivals[MAX_ROUNDS];
    atomic_int serials[MAX_ROUNDS];
};

static char shm_name[64];
static atomic_int unlinked;

static void unlink_once(void)
{
    if (atomic_exchange(&unlinked, 1) == 0)
        shm_unlink(shm_name);
}

static void on_alarm_unlink(int sig)
{
    unlink_once();
    bh_on_alarm(sig);
}

/* The participant loop, run by one thread in each process on its own view. */
static int run_rounds(struct shared_state *s, int me)
{
    int r;
    for (r = 0; r < MAX_ROUNDS; r++) {
        atomic_fetch_add(&s->arrivals[r], 1);
        int rc = pthread_barrier_wait(&s->barrier);
        int arrived = atomic_load(&s->arrivals[r]);
        if (!bh_wait_ok(rc))
            bh_fail("round %d: process %d's wait returned %s", r, me, bh_err_name(rc));
        if (arrived != PROCESSES)
            bh_fail("round %d: process %d left after only %d of %d processes arrived", r, me, arrived,
                    PROCESSES);
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD) {
            atomic_fetch_add(&s->serials[r], 1);
            if (atomic_load(&s->stop_after) == INT_MAX &&
                bh_time_to_stop(s->started, RUN_SECONDS, MAX_SECONDS, r + 1 >= MIN_ROUNDS))
                atomic_store(&s->stop_after, r + 1);
        }
        if (r >= atomic_load(&s->stop_after))
            break;
    }
    atomic_store(&s->rounds_done[me], r < MAX_ROUNDS ? r + 1 : MAX_ROUNDS);
    return BH_PASS;
}

static int opener(int index)
{
    int me = index + 1;
    /* Reserve fresh address space (it cannot overlap the creator's view,
     * inherited across fork) and place this process's view at a different
     * offset inside it than any other opener's. */
    size_t view = (sizeof(struct shared_state) + 0xfffff) & ~(size_t)0xfffff;
    char *reserved = mmap(NULL, view * PROCESSES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (reserved == MAP_FAILED)
        bh_setup_error("process %d: reserving address space failed", me);
    int fd = shm_open(shm_name, O_RDWR, 0);
    if (fd < 0)
        bh_setup_error("process %d: shm_open(%s) failed: %s", me, shm_name, strerror(errno));
    struct shared_state *s = mmap(reserved + view * (size_t)me, sizeof *s, PROT_READ | PROT_WRITE,
                                  MAP_SHARED | MAP_FIXED, fd, 0);
    if (s == MAP_FAILED)
        bh_setup_error("process %d: mmap of the shm object failed", me);
    close(fd);
    atomic_store(&s->address[me], (uintptr_t)s);
    atomic_fetch_add(&s->opened, 1);
    int result = run_rounds(s, me);
    if (munmap(s, sizeof *s) != 0)
        bh_fail("process %d: munmap of its view failed", me);
    return result;
}

static struct shared_state *creator_view;
static void *creator_participant(void *arg)
{
    (void)arg;
    run_rounds(creator_view, 0);
    return NULL;
}

int main(void)
{
    bh_start("setup", 12);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm_unlink;
    sigaction(SIGALRM, &sa, NULL);

    snprintf(shm_name, sizeof shm_name, "/barrier-shim-behaviour-%d", (int)getpid());
    int fd = shm_open(shm_name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        bh_setup_error("shm_open(%s) failed: %s", shm_name, strerror(errno));
    if (ftruncate(fd, sizeof(struct shared_state)) != 0) {
        unlink_once();
        bh_setup_error("ftruncate failed");
    }
    struct shared_state *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (s == MAP_FAILED) {
        unlink_once();
        bh_setup_error("mmap of the shm object failed");
    }
    creator_view = s;

    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    int rc = pthread_barrier_init(&s->barrier, &attr, PROCESSES);
    if (rc != 0) {
        unlink_once();
        bh_fail("pthread_barrier_init(PTHREAD_PROCESS_SHARED) in shm returned %s", bh_err_name(rc));
    }
    atomic_store(&s->stop_after, INT_MAX);
    atomic_store(&s->address[0], (uintptr_t)s);
    s->started = bh_now();

    pid_t pids[PROCESSES - 1];
    for (int i = 0; i < PROCESSES - 1; i++)
        pids[i] = spawn_child(i, opener, 10);
    pthread_t t;
    if (pthread_create(&t, NULL, creator_participant, NULL) != 0) {
        unlink_once();
        bh_setup_error("pthread_create failed");
    }

    bh_phase_set("waiting for every process to open the shm object");
    while (atomic_load(&s->opened) < PROCESSES - 1)
        bh_sleep_ms(1);
    unlink_once();
    for (int i = 0; i < PROCESSES; i++)
        for (int j = 0; j < i; j++)
            if (atomic_load(&s->address[i]) == atomic_load(&s->address[j])) {
                kill_children(pids, PROCESSES - 1);
                bh_setup_error("processes %d and %d mapped the object at the same address %#lx", j, i,
                               (unsigned long)atomic_load(&s->address[i]));
            }

    bh_phase_set("rounds of a barrier mapped at different addresses");
    reap_children(pids, PROCESSES - 1, "opener process");
    pthread_join(t, NULL);

    int rounds = atomic_load(&s->rounds_done[0]);
    for (int i = 1; i < PROCESSES; i++)
        if (atomic_load(&s->rounds_done[i]) != rounds)
            bh_fail("processes completed different numbers of rounds (%d vs %d)", rounds,
                    atomic_load(&s->rounds_done[i]));
    for (int r = 0; r < rounds; r++)
        if (atomic_load(&s->serials[r]) != 1)
            bh_fail("round %d produced %d PTHREAD_BARRIER_SERIAL_THREAD, expected 1", r,
                    atomic_load(&s->serials[r]));
    if (rounds < MIN_ROUNDS)
        bh_setup_error("only %d rounds completed in %.1f s (want >= %d)", rounds, MAX_SECONDS, MIN_ROUNDS);
    rc = pthread_barrier_destroy(&s->barrier);
    if (rc != 0)
        bh_fail("destroy after all processes finished returned %s", bh_err_name(rc));
    char where[4 * 24] = "";
    for (int i = 0; i < PROCESSES; i++)
        snprintf(where + strlen(where), sizeof where - strlen(where), "%s%#lx", i ? " " : "",
                 (unsigned long)atomic_load(&s->address[i]));
    bh_pass("%d processes, views at %s: %d rounds, each with exactly one SERIAL and nobody early",
            PROCESSES, where, rounds);
}
