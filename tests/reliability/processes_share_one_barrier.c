/* Reliability: 16 processes x 4 threads on one process-shared barrier, on 2
 * cores.  The barrier lies in a MAP_SHARED page set up before fork; every
 * round is checked across all 64 participants (round_check.h, in shared
 * memory: the serial waiter exactly once, nobody early, every result 0 or
 * PTHREAD_BARRIER_SERIAL_THREAD).  In every process, resident memory and
 * open descriptors after the last round must not exceed those after round 10
 * (memory: by at most RESIDENT_SLACK_KIB). */
#include "children.h"
#include "load_participant.h"
#include "barrier_kind.h"

enum { PROCESSES = 16, THREADS_PER_PROCESS = 4, PARTICIPANTS = PROCESSES * THREADS_PER_PROCESS };
static const long long MAX_ROUNDS = 100000, MIN_ROUNDS = 100, WARMUP_ROUND = 10;
static const double RUN_SECONDS = 3.0, MAX_SECONDS = 20.0;

struct shared_state {
    struct round_check check;
    struct load_run runs[PROCESSES]; /* one per process: its own samples */
};
static struct shared_state *state;

static struct load_run *my_run;

static void *participant(void *arg)
{
    load_participate(my_run, arg != NULL);
    return NULL;
}

static int process_body(int index)
{
    my_run = &state->runs[index];
    pthread_t threads[THREADS_PER_PROCESS];
    for (int i = 0; i < THREADS_PER_PROCESS; i++)
        if (pthread_create(&threads[i], NULL, participant, i == 0 ? (void *)1 : NULL) != 0)
            bh_setup_error("pthread_create failed in process %d", index);
    for (int i = 0; i < THREADS_PER_PROCESS; i++)
        pthread_join(threads[i], NULL);
    return BH_PASS;
}

int main(void)
{
    rel_start("setup", 45);
    state = mmap(NULL, sizeof *state, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (state == MAP_FAILED)
        bh_setup_error("mmap failed");
    round_check_init(&state->check, PARTICIPANTS);
    pthread_barrier_t *barrier = new_barrier(true, PARTICIPANTS);
    double started = bh_now();
    for (int p = 0; p < PROCESSES; p++) {
        state->runs[p].barrier = barrier;
        state->runs[p].check = &state->check;
        state->runs[p].bounds =
            load_bounds_scaled(MAX_ROUNDS, MIN_ROUNDS, RUN_SECONDS, MAX_SECONDS, WARMUP_ROUND);
        state->runs[p].started = started;
    }

    bh_phase_set("rounds of 16 processes x 4 threads");
    pid_t pids[PROCESSES];
    for (int p = 0; p < PROCESSES; p++)
        pids[p] = spawn_child(p, process_body, 40 * soak_factor());
    reap_children(pids, PROCESSES, "participant process");
    double seconds = bh_now() - started;

    bh_phase_set("checking");
    long long rounds = 0;
    long grown_most = 0;
    for (int p = 0; p < PROCESSES; p++) {
        char what[32];
        snprintf(what, sizeof what, "process %d", p);
        rounds = load_finish(&state->runs[p], what);
        long grown = state->runs[p].end.resident_kib - state->runs[p].start.resident_kib;
        grown_most = grown > grown_most ? grown : grown_most;
    }
    int rc = pthread_barrier_destroy(barrier);
    if (rc != 0)
        bh_fail("destroy after all processes finished returned %s", bh_err_name(rc));
    bh_pass("%d processes x %d threads, %lld rounds in %.1f s, each checked; no process's "
            "descriptors grew, resident memory grew by at most %ld KiB", PROCESSES,
            THREADS_PER_PROCESS, rounds, seconds, grown_most);
}
