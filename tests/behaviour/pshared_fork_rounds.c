/* Behaviour: a PTHREAD_PROCESS_SHARED barrier in a MAP_SHARED|MAP_ANONYMOUS
 * page, initialised before fork(), synchronises 3 processes x 2 threads for
 * thousands of rounds: every wait returns 0 or PTHREAD_BARRIER_SERIAL_THREAD,
 * nobody leaves a round before all 6 participants have arrived, and each
 * round has exactly one PTHREAD_BARRIER_SERIAL_THREAD across all processes. */
#include "children.h"
#include <limits.h>
#include <sys/mman.h>

enum { PROCESSES = 3, THREADS = 2, PARTICIPANTS = PROCESSES * THREADS };
enum { MAX_ROUNDS = 100000, MIN_ROUNDS = 1000 };
static const double RUN_SECONDS = 1.5, MAX_SECONDS = 5.0;

struct shared_state {
    pthread_barrier_t barrier;
    double started;
    atomic_int stop_after;
    atomic_int rounds_done[PARTICIPANTS];
    atomic_int arrivals[MAX_ROUNDS];
    atomic_int serials[MAX_ROUNDS];
};
static struct shared_state *state;

static void *participant(void *arg)
{
    int me = (int)(intptr_t)arg;
    int r;
    for (r = 0; r < MAX_ROUNDS; r++) {
        atomic_fetch_add(&state->arrivals[r], 1);
        int rc = pthread_barrier_wait(&state->barrier);
        int arrived = atomic_load(&state->arrivals[r]);
        if (!bh_wait_ok(rc))
            bh_fail("round %d: participant %d's wait returned %s", r, me, bh_err_name(rc));
        if (arrived != PARTICIPANTS)
            bh_fail("round %d: participant %d left after only %d of %d participants arrived", r, me,
                    arrived, PARTICIPANTS);
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD) {
            atomic_fetch_add(&state->serials[r], 1);
            /* Everyone reads stop_after after the next round, so all stop together. */
            if (atomic_load(&state->stop_after) == INT_MAX &&
                bh_time_to_stop(state->started, RUN_SECONDS, MAX_SECONDS, r + 1 >= MIN_ROUNDS))
                atomic_store(&state->stop_after, r + 1);
        }
        if (r >= atomic_load(&state->stop_after))
            break;
    }
    atomic_store(&state->rounds_done[me], r < MAX_ROUNDS ? r + 1 : MAX_ROUNDS);
    return NULL;
}

static int process_body(int index)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, participant, (void *)(intptr_t)(index * THREADS + i)) != 0)
            bh_setup_error("pthread_create failed in process %d", index);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    return BH_PASS;
}

int main(void)
{
    bh_start("rounds of a process-shared barrier across fork", 12);
    state = mmap(NULL, sizeof *state, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (state == MAP_FAILED)
        bh_setup_error("mmap failed");
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    int rc = pthread_barrier_init(&state->barrier, &attr, PARTICIPANTS);
    if (rc != 0)
        bh_fail("pthread_barrier_init(PTHREAD_PROCESS_SHARED, %d) returned %s", PARTICIPANTS,
                bh_err_name(rc));
    atomic_store(&state->stop_after, INT_MAX);
    state->started = bh_now();

    pid_t pids[PROCESSES];
    for (int p = 0; p < PROCESSES; p++)
        pids[p] = spawn_child(p, process_body, 10);
    reap_children(pids, PROCESSES, "participant process");

    int rounds = atomic_load(&state->rounds_done[0]);
    for (int i = 1; i < PARTICIPANTS; i++)
        if (atomic_load(&state->rounds_done[i]) != rounds)
            bh_fail("participants completed different numbers of rounds (%d vs %d)", rounds,
                    atomic_load(&state->rounds_done[i]));
    for (int r = 0; r < rounds; r++)
        if (atomic_load(&state->serials[r]) != 1)
            bh_fail("round %d produced %d PTHREAD_BARRIER_SERIAL_THREAD across all processes, expected 1",
                    r, atomic_load(&state->serials[r]));
    if (rounds < MIN_ROUNDS)
        bh_setup_error("only %d rounds completed in %.1f s (want >= %d)", rounds, MAX_SECONDS, MIN_ROUNDS);
    rc = pthread_barrier_destroy(&state->barrier);
    if (rc != 0)
        bh_fail("destroy after all processes finished returned %s", bh_err_name(rc));
    bh_pass("%d processes x %d threads: %d rounds, each with exactly one SERIAL and nobody early",
            PROCESSES, THREADS, rounds);
}
