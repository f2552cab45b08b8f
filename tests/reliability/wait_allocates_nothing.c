/* Reliability: pthread_barrier_wait, pthread_barrier_destroy and the wrapped
 * unmaps (munmap, mmap(MAP_FIXED), mremap, shmdt) call nothing that
 * allocates or can fail for lack of resources.
 *
 * Run with liballoc-trap.so preloaded ahead of the shim: it records every
 * such call made from inside those functions (alloc_trap_core.c).  Rounds of
 * 4 threads on 2 cores (so waiters spin, yield and sleep), checked round by
 * round (round_check.h); each round's serial waiter does one wrapped unmap
 * while the others are still leaving.
 *   private, shared  a fresh barrier of that kind every 64 rounds, destroyed
 *                    and unmapped by the serial waiter of its last round
 *   processes        3 processes x 2 threads on one process-shared barrier in
 *                    a MAP_SHARED page; after the last round each process
 *                    unmaps its view at once, and the parent destroys its own
 * Fails if the trap saw any such call, or if a region was never entered. */
#include "children.h"
#include "round_check.h"
#include "scratch_unmaps.h"
#include "trap_tally.h"
#include "barrier_kind.h"

enum { THREADS = 4, ROUNDS_PER_BARRIER = 64, PROCESSES = 3, THREADS_PER_PROCESS = 2 };
enum { MAX_ROUNDS = 40000, MIN_ROUNDS = 640 };
static const double RUN_SECONDS = 1.0, MAX_SECONDS = 8.0;

static struct scratch scratch; /* this process's; used by serial waiters only */

/* ---- private, shared: a fresh barrier every ROUNDS_PER_BARRIER rounds ---- */

static bool shared_kind;
static pthread_barrier_t *phase_barrier;    /* count THREADS, for the whole run */
static pthread_barrier_t *work_barrier;     /* the phase's barrier */
static bool stop;                           /* written between two phase waits */
static struct round_check check;
static double started;

static void after_work_round(long long round, int result, int last_of_phase)
{
    round_check_leave(&check, round, result, "a thread");
    if (result != PTHREAD_BARRIER_SERIAL_THREAD)
        return;
    const char *failed = scratch_unmap(&scratch, (unsigned)round);
    if (failed)
        bh_fail("round %lld: %s failed right after the wait", round, failed);
    if (last_of_phase) {
        int rc = pthread_barrier_destroy(work_barrier);
        if (rc != 0)
            bh_fail("round %lld: destroy right after the last wait returned %s", round, bh_err_name(rc));
        if (munmap(work_barrier, sizeof *work_barrier) != 0)
            bh_fail("round %lld: munmap of the destroyed barrier failed", round);
    }
}

static void *phased_participant(void *arg)
{
    (void)arg;
    long long round = 0;
    for (;;) {
        if (pthread_barrier_wait(phase_barrier) == PTHREAD_BARRIER_SERIAL_THREAD) {
            stop = bh_time_to_stop(started, RUN_SECONDS * soak_factor(), MAX_SECONDS * soak_factor(),
                                   round >= MIN_ROUNDS) ||
                   round >= (long long)MAX_ROUNDS * soak_factor();
            if (!stop)
                work_barrier = new_barrier(shared_kind, THREADS);
        }
        pthread_barrier_wait(phase_barrier); /* publishes stop and work_barrier */
        if (stop)
            return NULL;
        for (int i = 0; i < ROUNDS_PER_BARRIER; i++, round++) {
            round_check_arrive(&check);
            after_work_round(round, pthread_barrier_wait(work_barrier), i == ROUNDS_PER_BARRIER - 1);
        }
    }
}

static void run_phases(bool shared)
{
    shared_kind = shared;
    scratch_prepare(&scratch);
    phase_barrier = new_barrier(shared, THREADS);
    round_check_init(&check, THREADS);
    started = bh_now();
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&threads[i], NULL, phased_participant, NULL) != 0)
            bh_setup_error("pthread_create failed");
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    long long rounds = atomic_load(&check.arrivals) / THREADS;
    if (atomic_load(&check.serials) != (unsigned long long)rounds)
        bh_fail("%llu PTHREAD_BARRIER_SERIAL_THREAD results in %lld rounds",
                atomic_load(&check.serials), rounds);
    int rc = pthread_barrier_destroy(phase_barrier);
    if (rc != 0)
        bh_fail("destroy of the phase barrier returned %s", bh_err_name(rc));
    struct alloc_trap_tally tally = trap_tally_check(
        (1u << TRAP_REGION_WAIT) | (1u << TRAP_REGION_DESTROY) | TRAP_ALL_UNMAPS, "the process");
    bh_pass("%s: %lld rounds on %lld barriers; %lu waits, %lu destroys, %lu munmap, %lu "
            "mmap(MAP_FIXED), %lu mremap, %lu shmdt: no allocation or resource use inside any",
            shared ? "shared" : "private", rounds, rounds / ROUNDS_PER_BARRIER,
            tally.entries[TRAP_REGION_WAIT], tally.entries[TRAP_REGION_DESTROY],
            tally.entries[TRAP_REGION_MUNMAP], tally.entries[TRAP_REGION_MMAP_FIXED],
            tally.entries[TRAP_REGION_MREMAP], tally.entries[TRAP_REGION_SHMDT]);
}

/* ---- processes: one process-shared barrier across fork ---- */

struct shared_state {
    struct round_check check;
    double started;
};
static struct shared_state *state;
static pthread_barrier_t *shared_barrier; /* alone in its MAP_SHARED page */

static void *process_participant(void *arg)
{
    const int first_in_process = arg != NULL;
    for (long long round = 0;; round++) {
        round_check_arrive(&state->check);
        int rc = pthread_barrier_wait(shared_barrier);
        round_check_leave(&state->check, round, rc, "a thread");
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD) {
            const char *failed = scratch_unmap(&scratch, (unsigned)round);
            if (failed)
                bh_fail("round %lld: %s failed right after the wait", round, failed);
        }
        bool time_to_stop = bh_time_to_stop(state->started, RUN_SECONDS * soak_factor(),
                                            MAX_SECONDS * soak_factor(), round + 1 >= MIN_ROUNDS) ||
                            round + 1 >= (long long)MAX_ROUNDS * soak_factor();
        if (round_check_done(&state->check, round, rc, time_to_stop)) {
            /* Release this process's view at once: its other thread may
             * still be leaving the last round. */
            if (first_in_process && munmap(shared_barrier, sizeof *shared_barrier) != 0)
                bh_fail("munmap of this process's view after the last round failed");
            return NULL;
        }
    }
}

static int process_body(int index)
{
    (void)index;
    scratch_prepare(&scratch);
    pthread_t threads[THREADS_PER_PROCESS];
    for (int i = 0; i < THREADS_PER_PROCESS; i++)
        if (pthread_create(&threads[i], NULL, process_participant, i == 0 ? (void *)1 : NULL) != 0)
            bh_setup_error("pthread_create failed in a child");
    for (int i = 0; i < THREADS_PER_PROCESS; i++)
        pthread_join(threads[i], NULL);
    trap_tally_check((1u << TRAP_REGION_WAIT) | TRAP_ALL_UNMAPS, "a participant process");
    return BH_PASS;
}

static void run_processes(void)
{
    state = mmap(NULL, sizeof *state, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (state == MAP_FAILED)
        bh_setup_error("mmap failed");
    round_check_init(&state->check, PROCESSES * THREADS_PER_PROCESS);
    shared_barrier = new_barrier(true, PROCESSES * THREADS_PER_PROCESS);
    state->started = bh_now();
    pid_t pids[PROCESSES];
    for (int p = 0; p < PROCESSES; p++)
        pids[p] = spawn_child(p, process_body, 10 * soak_factor());
    reap_children(pids, PROCESSES, "participant process");
    long long rounds = round_check_finish(&state->check, "processes");
    int rc = pthread_barrier_destroy(shared_barrier);
    if (rc != 0)
        bh_fail("the parent's destroy after all processes finished returned %s", bh_err_name(rc));
    if (munmap(shared_barrier, sizeof *shared_barrier) != 0)
        bh_fail("the parent's munmap of its view failed");
    trap_tally_check((1u << TRAP_REGION_DESTROY) | (1u << TRAP_REGION_MUNMAP), "the parent");
    bh_pass("processes: %d processes x %d threads, %lld rounds with a wrapped unmap each, every "
            "process unmapped its view at once; no allocation or resource use inside any wait, "
            "unmap or destroy", PROCESSES, THREADS_PER_PROCESS, rounds);
}

int main(int argc, char **argv)
{
    static const char *const cases[] = {"private", "shared", "processes", NULL};
    int sub_case = rel_sub_case(argc, argv, cases);
    rel_start("rounds with the allocation trap armed", 20);
    trap_tally(); /* a setup error at once if the trap is missing */
    if (sub_case == 2)
        run_processes();
    else
        run_phases(sub_case == 1);
}
