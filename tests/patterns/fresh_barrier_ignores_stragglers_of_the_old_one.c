/* Behaviour: a process-shared barrier initialised in fresh memory where an
 * earlier barrier lived is a new barrier.  A participant still leaving the
 * old barrier's last round (its round completed, its wait has not returned
 * yet) returns from that wait with 0 or PTHREAD_BARRIER_SERIAL_THREAD, and
 * is never held by the new barrier's rounds; in robust mode it never gets
 * EOWNERDEAD, since nobody died.
 *
 * The pattern, in a loop of generations: `count` participants (threads
 * and/or processes) do 1-3 rounds on a process-shared barrier in MAP_SHARED
 * memory; whoever gets PTHREAD_BARRIER_SERIAL_THREAD in the last round
 * destroys the barrier at once, gives it fresh memory at the same address,
 * initialises a new barrier there with the same count and announces it; the
 * others, once back from their last wait, see the announcement and take part
 * in the new barrier's rounds.  A straggler held by the new barrier never
 * arrives at it, and the loop hangs.
 *
 * Sub-cases (fresh memory; participants):
 *  remap-threads           destroy, munmap, mmap at the same address; 3 threads
 *  remap-threads-signal    the same with 2 threads; the last arriver first
 *                          signals the other, whose handler busy-waits
 *                          0.2-3 ms, so it is still inside its wait while the
 *                          round completes and the new barrier starts
 *  remap-processes         destroy, munmap, punch the page out of the memfd
 *                          the processes share (fresh zero memory in every
 *                          view), mmap at the same address; 2 processes
 *  zero-processes          destroy, memset 0; 2 processes
 *  zero-processes-signal   the same with 3 processes, the others signalled
 *  zero-threads-processes  destroy, memset 0; 2 processes of 2 threads
 * In robust mode (BARRIER_SHIM_ROBUST=1) the same loops must never answer
 * EOWNERDEAD.  Stock glibc copes with all of them (its destroy waits until
 * every waiter has left). */
#include "patterns.h"
#include "../behaviour/children.h"
#include <fcntl.h>
#include <linux/falloc.h>

enum { kGenerations = 300, kMaxParticipants = 4 };

struct control {
    _Atomic unsigned generation;  /* barrier generation announced by its initialiser */
    _Atomic unsigned arriving;    /* participants about to wait in the current last round */
    atomic_uint serials;          /* PTHREAD_BARRIER_SERIAL_THREAD returns */
    _Atomic pid_t tids[kMaxParticipants];  /* for pthread_kill / kill */
    _Atomic pid_t pids[kMaxParticipants];
};

static struct control *control;
static pthread_barrier_t *barrier;
static bool remap, use_signal;
static int memory_file = -1; /* remap-processes: the barrier's page is in this memfd */
static unsigned processes, threads_per_process, count;
static pthread_t thread_handles[kMaxParticipants];
static char phase[128]; /* "where", for the HANG line */

static void phase_at(const char *what, unsigned index, unsigned g, unsigned r)
{
    snprintf(phase, sizeof phase, "%s (participant %u, generation %u, round %u)", what, index, g, r);
    bh_phase_set(phase);
}

/* The signalled participant's handler: stays a while, as a slow straggler. */
static void linger(int sig)
{
    (void)sig;
    int saved = errno;
    unsigned g = atomic_load(&control->generation);
    double us = 200.0 + (double)((g * 977u) % 2800u);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long spins = 0; spins < 100000000L; spins++) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        double elapsed = (double)(now.tv_sec - start.tv_sec) * 1e6 +
                         (double)(now.tv_nsec - start.tv_nsec) / 1e3;
        if (elapsed >= us)
            break;
    }
    errno = saved;
}

static void fresh_memory_and_init(unsigned g)
{
    int rc = pthread_barrier_destroy(barrier);
    if (rc != 0)
        bh_fail("generation %u: destroy right after the last round returned %s", g, bh_err_name(rc));
    if (remap) {
        if (munmap(barrier, 4096) != 0)
            bh_setup_error("munmap failed: %s", strerror(errno));
        /* Processes share a memory file: punching the page out of it gives
         * every process's view fresh zero memory. */
        if (memory_file >= 0 &&
            fallocate(memory_file, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096) != 0)
            bh_setup_error("fallocate(PUNCH_HOLE) failed: %s", strerror(errno));
        void *again = mmap(barrier, 4096, PROT_READ | PROT_WRITE,
                           MAP_SHARED | MAP_FIXED_NOREPLACE | (memory_file >= 0 ? 0 : MAP_ANONYMOUS),
                           memory_file, 0);
        if (again != barrier)
            bh_setup_error("mmap at the old address %p failed: %s", (void *)barrier,
                           again == MAP_FAILED ? strerror(errno) : "another address");
    } else {
        memset(barrier, 0, sizeof *barrier);
    }
    pthread_barrierattr_t attr = pt_attr(true);
    rc = pthread_barrier_init(barrier, &attr, count);
    if (rc != 0)
        bh_fail("generation %u: init in fresh memory returned %s", g, bh_err_name(rc));
    pthread_barrierattr_destroy(&attr);
}

/* Participant `index` (0 is the closer in the signal sub-cases). */
static void participate(unsigned index)
{
    atomic_store(&control->tids[index], gettid());
    atomic_store(&control->pids[index], getpid());
    for (unsigned g = 0; g < kGenerations; g++) {
        phase_at("waiting for the generation's barrier to be announced", index, g, 0);
        if (!pt_poll_until_equal(&control->generation, g, 5000))
            bh_fail("participant %u: barrier generation %u was never announced (a participant is "
                    "held by a barrier)", index, g);
        unsigned rounds = 1 + g % 3;
        int rc = 0;
        for (unsigned r = 0; r < rounds; r++) {
            bool last = r + 1 == rounds;
            if (use_signal && last) {
                atomic_fetch_add(&control->arriving, 1);
                if (index == 0) {
                    /* Arrive last: wait until the others are about to wait,
                     * then delay them inside their waits. */
                    unsigned want = g * count + count;
                    bh_phase_set("closer: waiting for the others to arrive");
                    if (!pt_poll_until_equal(&control->arriving, want, 5000))
                        bh_fail("generation %u: the others never arrived at the last round", g);
                    for (unsigned p = 1; p < count; p++) {
                        if (processes > 1)
                            kill(atomic_load(&control->pids[p]), SIGUSR1);
                        else
                            pthread_kill(thread_handles[p], SIGUSR1);
                    }
                }
            }
            phase_at("in a round of the generation's barrier", index, g, r);
            rc = pthread_barrier_wait(barrier);
            if (rc == EOWNERDEAD) {
                pthread_barrier_destroy(barrier); /* robust mode: remove its semaphore set */
                bh_fail("participant %u, generation %u, round %u: wait returned EOWNERDEAD, "
                        "though no participant died", index, g, r);
            }
            if (!bh_wait_ok(rc))
                bh_fail("participant %u, generation %u, round %u: wait returned %s", index, g, r,
                        bh_err_name(rc));
            if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
                atomic_fetch_add(&control->serials, 1);
        }
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD && g + 1 < kGenerations) {
            bh_phase_set("re-initialising in fresh memory");
            fresh_memory_and_init(g + 1);
            atomic_store(&control->generation, g + 1);
        }
    }
}

static void *participant_thread(void *arg)
{
    participate((unsigned)(uintptr_t)arg);
    return NULL;
}

/* One process's participants: its threads take indexes first..first+n-1;
 * the calling thread is the first. */
static void run_process(unsigned first)
{
    if (use_signal)
        pt_install_handler(SIGUSR1, linger, SA_RESTART);
    for (unsigned t = 1; t < threads_per_process; t++)
        if (pthread_create(&thread_handles[first + t], NULL, participant_thread,
                           (void *)(uintptr_t)(first + t)) != 0)
            bh_setup_error("pthread_create failed");
    thread_handles[first] = pthread_self();
    participate(first);
    for (unsigned t = 1; t < threads_per_process; t++)
        pthread_join(thread_handles[first + t], NULL);
}

static unsigned child_first;
static int child_body(int index)
{
    (void)index;
    pt_register_process();
    run_process(child_first);
    return BH_PASS;
}

static const char *test_case;
static int run_test(void);

int main(int argc, char **argv)
{
    const char *cases = "remap-threads | remap-threads-signal | remap-processes | zero-processes | "
                        "zero-processes-signal | zero-threads-processes";
    if (argc != 2) {
        fprintf(stderr, "usage: %s %s\n", argv[0], cases);
        return BH_SETUP;
    }
    const char *c = argv[1];
    if (strcmp(c, "remap-threads") == 0) {
        remap = true, processes = 1, threads_per_process = 3;
    } else if (strcmp(c, "remap-threads-signal") == 0) {
        remap = true, use_signal = true, processes = 1, threads_per_process = 2;
    } else if (strcmp(c, "remap-processes") == 0) {
        remap = true, processes = 2, threads_per_process = 1;
    } else if (strcmp(c, "zero-processes") == 0) {
        processes = 2, threads_per_process = 1;
    } else if (strcmp(c, "zero-processes-signal") == 0) {
        use_signal = true, processes = 3, threads_per_process = 1;
    } else if (strcmp(c, "zero-threads-processes") == 0) {
        processes = 2, threads_per_process = 2;
    } else {
        fprintf(stderr, "usage: %s %s\n", argv[0], cases);
        return BH_SETUP;
    }
    count = processes * threads_per_process;
    bh_start("setup", 10);
    test_case = c;
    pt_run_cleaning_semaphores(run_test, 10);
}

static int run_test(void)
{
    const char *c = test_case;
    control = pt_map_shared(4096);
    memset(control, 0, sizeof *control);
    if (remap && processes > 1) {
        memory_file = memfd_create("fresh-barrier", 0);
        if (memory_file < 0 || ftruncate(memory_file, 4096) != 0)
            bh_setup_error("memfd_create failed: %s", strerror(errno));
        barrier = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, memory_file, 0);
        if (barrier == MAP_FAILED)
            bh_setup_error("mmap of the memfd failed: %s", strerror(errno));
    } else {
        barrier = pt_map_shared(4096);
    }
    pthread_barrierattr_t attr = pt_attr(true);
    if (pthread_barrier_init(barrier, &attr, count) != 0)
        bh_setup_error("the first init failed");
    pthread_barrierattr_destroy(&attr);

    pid_t children[kMaxParticipants] = {0};
    for (unsigned p = 1; p < processes; p++) {
        child_first = p * threads_per_process;
        children[p - 1] = spawn_child((int)p, child_body, 10);
    }
    pt_watch_children(children, (int)processes - 1);
    run_process(0);
    reap_children(children, (int)processes - 1, "participant process");
    int rc = pthread_barrier_destroy(barrier);
    if (rc != 0)
        bh_fail("destroy of the last barrier, after all rounds, returned %s", bh_err_name(rc));
    unsigned expected = 0;
    for (unsigned g = 0; g < kGenerations; g++)
        expected += 1 + g % 3;
    if (atomic_load(&control->serials) != expected)
        bh_fail("%u rounds produced %u PTHREAD_BARRIER_SERIAL_THREAD", expected,
                atomic_load(&control->serials));
    bh_pass("%s: %u barriers in fresh memory after their predecessors, %u rounds of %u participants, "
            "no participant held by a later barrier",
            c, kGenerations, expected, count);
}
