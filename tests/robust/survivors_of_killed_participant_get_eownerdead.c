/* Robust mode (BARRIER_SHIM_ROBUST=1): a participant process killed with
 * SIGKILL at a random instant never leaves the survivors hung.
 *
 * Each trial: PROCESSES processes x THREADS threads run rounds on one
 * process-shared barrier in MAP_SHARED memory. Once every thread has
 * completed a round (so every process has joined), the parent sleeps a random
 * 0..3 ms and kills a random participant. It then requires, within a bound
 * far above the configured detection bound:
 *  - every survivor process to end on its own, each of its threads having
 *    seen only completed rounds (0 / PTHREAD_BARRIER_SERIAL_THREAD) and then
 *    EOWNERDEAD, and EOWNERDEAD again at once on its next wait (sticky);
 *  - a wait by the parent to return EOWNERDEAD at once, destroy to succeed,
 *    and init over the destroyed memory to give a working barrier again;
 *  - no semaphore set and no descriptor left over in the parent.
 * Prints the number of kills survived and the longest time from kill to the
 * last survivor's EOWNERDEAD (for the record; not asserted: no timed tests).
 *
 * Without robust detection (stock glibc, or the shim without
 * BARRIER_SHIM_ROBUST) the survivors wait for ever: the trial reports HANG
 * and the test fails.
 *
 * Arguments: [trials] [seconds] [hang-seconds]  (defaults 200, 60 and 10;
 * BSHIM_SOAK=1 multiplies the first two by 10). Whichever of the first
 * two bounds comes first ends the run; survivors not done hang-seconds after
 * the kill count as hung (the controls, which hang, use a shorter one). */
#include "robust_kill.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../behaviour/behaviour.h"

#define PROCESSES 3
#define THREADS 2
#define PARTICIPANTS (PROCESSES * THREADS)
/* Survivors that have not ended this long after the kill are hung. */
static int64_t hang_bound_ns = 10LL * 1000000000;

struct team {
    pthread_barrier_t barrier;
    atomic_int threads_past_first_round;
    atomic_int wrong_results;     /* a wait returned something else */
    atomic_llong last_eownerdead_ns;
    atomic_int eownerdead_seen;
};

static struct team *team;

static void note_eownerdead(void)
{
    long long now = rk_now_ns();
    long long seen = atomic_load(&team->last_eownerdead_ns);
    while (now > seen && !atomic_compare_exchange_weak(&team->last_eownerdead_ns, &seen, now)) {
    }
    atomic_fetch_add(&team->eownerdead_seen, 1);
}

static void *participant(void *unused)
{
    (void)unused;
    for (long rounds = 0;; rounds++) {
        int rc = pthread_barrier_wait(&team->barrier);
        if (rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD) {
            if (rounds == 0)
                atomic_fetch_add(&team->threads_past_first_round, 1);
            continue;
        }
        if (rc != EOWNERDEAD) {
            atomic_fetch_add(&team->wrong_results, 1);
            return NULL;
        }
        note_eownerdead();
        /* Broken stays broken: the next wait answers at once. */
        if (pthread_barrier_wait(&team->barrier) != EOWNERDEAD)
            atomic_fetch_add(&team->wrong_results, 1);
        return NULL;
    }
}

static void run_participant_process(void)
{
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&threads[i], NULL, participant, NULL) != 0)
            _exit(BH_SETUP);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    _exit(0);
}

/* Waits for every child but `killed` to end by itself; kills them all and
 * returns false if any is still running after the bound. */
static bool survivors_end(pid_t children[PROCESSES], int killed, int *bad_exits)
{
    int running = PROCESSES - 1;
    int64_t deadline = rk_now_ns() + hang_bound_ns;
    while (running > 0 && rk_now_ns() < deadline) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            if (pid == children[killed])
                continue;
            running--;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                (*bad_exits)++;
        } else {
            struct timespec pause = {0, 1000000};
            nanosleep(&pause, NULL);
        }
    }
    if (running == 0) {
        waitpid(children[killed], NULL, 0);
        return true;
    }
    for (int i = 0; i < PROCESSES; i++)
        kill(children[i], SIGKILL);
    while (waitpid(-1, NULL, 0) > 0) {
    }
    return false;
}

int main(int argc, char **argv)
{
    const bool soak = getenv("BSHIM_SOAK") != NULL;
    long trials = argc > 1 ? atol(argv[1]) : 200;
    long seconds = argc > 2 ? atol(argv[2]) : 60;
    if (argc > 3)
        hang_bound_ns = atol(argv[3]) * 1000000000LL;
    if (soak) {
        trials *= 10;
        seconds *= 10;
    }
    bh_start("setup", (unsigned)seconds + 30);
    srand((unsigned)getpid());
    team = mmap(NULL, sizeof *team, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (team == MAP_FAILED)
        bh_setup_error("mmap: %s", strerror(errno));
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);

    const int sets_before = rk_semaphore_sets();
    const int descriptors_before = rk_open_descriptors();
    const int64_t end = rk_now_ns() + (int64_t)seconds * 1000000000;
    long survived = 0;
    int64_t longest_ns = 0;
    for (long trial = 0; trial < trials && rk_now_ns() < end; trial++) {
        memset(team, 0, sizeof *team);
        int rc = pthread_barrier_init(&team->barrier, &attr, PARTICIPANTS);
        if (rc != 0)
            bh_setup_error("pthread_barrier_init: %s", strerror(rc));
        pid_t children[PROCESSES];
        for (int i = 0; i < PROCESSES; i++) {
            children[i] = fork();
            if (children[i] < 0)
                bh_setup_error("fork: %s", strerror(errno));
            if (children[i] == 0)
                run_participant_process();
        }
        bh_phase_set("waiting for every participant's first round");
        while (atomic_load(&team->threads_past_first_round) < PARTICIPANTS)
            sched_yield();
        struct timespec pause = {0, (rand() % 3000) * 1000L};
        nanosleep(&pause, NULL);
        const int victim = rand() % PROCESSES;
        const int64_t killed_at = rk_now_ns();
        kill(children[victim], SIGKILL);

        bh_phase_set("waiting for the survivors");
        int bad_exits = 0;
        if (!survivors_end(children, victim, &bad_exits)) {
            printf("HANG: trial %ld: survivors still blocked %lld s after the kill\n", trial,
                   (long long)(hang_bound_ns / 1000000000));
            return BH_HANG;
        }
        if (bad_exits != 0 || atomic_load(&team->wrong_results) != 0)
            bh_fail("trial %ld: %d survivor processes failed, %d waits returned neither "
                           "a completed round nor EOWNERDEAD",
                           trial, bad_exits, atomic_load(&team->wrong_results));
        if (atomic_load(&team->eownerdead_seen) != (PROCESSES - 1) * THREADS)
            bh_fail("trial %ld: %d survivor threads saw EOWNERDEAD, expected %d", trial,
                           atomic_load(&team->eownerdead_seen), (PROCESSES - 1) * THREADS);
        const int64_t latency = atomic_load(&team->last_eownerdead_ns) - killed_at;
        if (latency > longest_ns)
            longest_ns = latency;

        bh_phase_set("using the broken barrier from the parent");
        rc = pthread_barrier_wait(&team->barrier);
        if (rc != EOWNERDEAD)
            bh_fail("trial %ld: a new wait on the broken barrier returned %d, not "
                           "EOWNERDEAD", trial, rc);
        rc = pthread_barrier_destroy(&team->barrier);
        if (rc != 0)
            bh_fail("trial %ld: destroying the broken barrier returned %d", trial, rc);
        rc = pthread_barrier_init(&team->barrier, &attr, 1);
        if (rc != 0 || pthread_barrier_wait(&team->barrier) != PTHREAD_BARRIER_SERIAL_THREAD)
            bh_fail("trial %ld: re-initialised barrier does not work", trial);
        pthread_barrier_destroy(&team->barrier);
        survived++;
    }
    const int sets_after = rk_semaphore_sets();
    const int descriptors_after = rk_open_descriptors();
    if (sets_after != sets_before || descriptors_after != descriptors_before)
        bh_fail("leak: semaphore sets %d -> %d, descriptors %d -> %d", sets_before,
                       sets_after, descriptors_before, descriptors_after);
    if (survived == 0)
        bh_setup_error("no trial ran");
    bh_pass("%ld kills survived (%d processes x %d threads); longest kill-to-EOWNERDEAD "
                   "%.1f ms; semaphore sets %d -> %d, descriptors %d -> %d",
                   survived, PROCESSES, THREADS, longest_ns / 1e6, sets_before, sets_after,
                   descriptors_before, descriptors_after);
}
