/* Reliability: under real-time priorities every phase of a wait is bounded.
 * Participants run SCHED_FIFO (or SCHED_RR) at different priorities, all
 * pinned to ONE CPU, as priority-inversion testers run them: a higher-
 * priority waiter that spins or yields keeps every lower-priority thread
 * on that CPU from running, including the participant it is waiting for.
 * The shim's spin and yield phases are bounded and end in a futex sleep, so
 * the rounds go on.  A monitor thread at a still higher priority (on any
 * CPU) fails the test if no round completes for 1 s: a starvation shows up
 * as that stall, and the monitor's priority keeps the machine usable even
 * if the kernel does not throttle real-time threads.
 *
 *   private-spinning      count 2 (initialised while 2 CPUs were usable, so
 *                         the shim spins first), FIFO 20 and 10
 *   shared-spinning       the same, process-shared in a MAP_SHARED page
 *   private-round-robin   count 3, SCHED_RR 30, 20 and 10
 *   shared-unmapper       shared-spinning plus a FIFO 30 thread that unmaps
 *                         and remaps (waiting for the participants' exit
 *                         windows) every 50 us
 *   private-overfull      count 2 shared by 3 FIFO threads (30, 20, 10);
 *                         the highest wakes from a 20 us timer sleep before
 *                         each wait, so it can arrive at any instant,
 *                         including between a round's last arrival and its
 *                         reset (an arrival that must wait for the reset)
 *   shared-overfull       the same, process-shared in a MAP_SHARED page
 *   control-unbounded-spin  private-spinning's threads on a hand-written
 *                         barrier that spins without bound: must fail
 *
 * Exit 77 (skip) where the kernel refuses real-time priorities. */
#include "round_check.h"
#include "barrier_kind.h"
#include "realtime_threads.h"
#include "unbounded_spin_barrier.h"

enum { MAX_ROUNDS = 20000, MIN_ROUNDS = 2000 };
static const double RUN_SECONDS = 1.0, MAX_SECONDS = 10.0;
static const double STALL_SECONDS = 1.0;
enum { MONITOR_PRIORITY = 90, UNMAPPER_PRIORITY = 30, MAX_PARTICIPANTS = 3 };
enum { UNMAPPER_PAUSE_US = 50 };

enum sub_case {
    PRIVATE_SPINNING, SHARED_SPINNING, PRIVATE_ROUND_ROBIN, SHARED_UNMAPPER, PRIVATE_OVERFULL,
    SHARED_OVERFULL, CONTROL
};
static const char *const cases[] = {"private-spinning", "shared-spinning", "private-round-robin",
                                    "shared-unmapper", "private-overfull", "shared-overfull",
                                    "control-unbounded-spin", NULL};
enum { OVERFULL_THREADS = 3, OVERFULL_COUNT = 2, OVERFULL_SLEEP_US = 20 };

/* ---- the run ---- */

static int (*barrier_wait)(pthread_barrier_t *) = pthread_barrier_wait;
static pthread_barrier_t *barrier;
static struct round_check check;
/* seq_cst throughout (C's default): test bookkeeping.  stop_requested: the
 * monitor asks everyone to finish (round_check_done makes the participants
 * agree on the last round); rounds_completed, unmapper_cycles: progress the
 * monitor samples; threads_finished: how many have left their loops. */
static atomic_int stop_requested;
static atomic_long rounds_completed, unmapper_cycles;
static atomic_int threads_finished;

static void *participant(void *arg)
{
    (void)arg;
    for (long long round = 0;; round++) {
        round_check_arrive(&check);
        int rc = barrier_wait(barrier);
        round_check_leave(&check, round, rc, "a real-time participant");
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
            atomic_fetch_add(&rounds_completed, 1);
        if (round_check_done(&check, round, rc, atomic_load(&stop_requested)))
            break;
    }
    atomic_fetch_add(&threads_finished, 1);
    return NULL;
}

/* private-overfull: more threads than the count, so rounds have no fixed
 * members and round_check does not apply.  Checked instead: every result,
 * and at the end that arrivals are twice the rounds (plus the one thread
 * that may be left waiting alone). */
static atomic_llong overfull_arrivals; /* seq_cst; read once everyone has stopped */

static void *overfull_participant(void *arg)
{
    const bool sleeps_first = arg != NULL;
    while (!atomic_load(&stop_requested)) {
        if (sleeps_first)
            rel_sleep_us(OVERFULL_SLEEP_US);
        atomic_fetch_add(&overfull_arrivals, 1);
        int rc = barrier_wait(barrier);
        if (!bh_wait_ok(rc))
            bh_fail("an overfull round's wait returned %s", bh_err_name(rc));
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
            atomic_fetch_add(&rounds_completed, 1);
    }
    atomic_fetch_add(&threads_finished, 1);
    return NULL;
}

/* After the monitor stopped the overfull run: all threads but at most one
 * (waiting alone, with nobody left to complete its round) finish. */
static void finish_overfull(const char *what)
{
    for (int waited_ms = 0; waited_ms < 500 && atomic_load(&threads_finished) < OVERFULL_THREADS;
         waited_ms++)
        rel_sleep_us(1000);
    const int left_waiting = OVERFULL_THREADS - atomic_load(&threads_finished);
    const long rounds = atomic_load(&rounds_completed);
    const long long arrivals = atomic_load(&overfull_arrivals);
    if (left_waiting > 1)
        bh_fail("starvation: %d threads still inside a count-%d barrier 0.5 s after the stop, "
                "where any two form a round: a waiter keeps the thread it waits for from running",
                left_waiting, OVERFULL_COUNT);
    if (arrivals != (long long)OVERFULL_COUNT * rounds + left_waiting)
        bh_fail("%lld arrivals for %ld rounds of %d and %d thread(s) left waiting", arrivals, rounds,
                OVERFULL_COUNT, left_waiting);
    if (rounds < MIN_ROUNDS)
        bh_setup_error("only %ld rounds (want >= %d)", rounds, MIN_ROUNDS);
    bh_pass("%s: %ld rounds of a count-%d barrier shared by %d SCHED_FIFO threads (30, 20, 10) on "
            "one CPU, the highest arriving after %d us timer sleeps", what, rounds, OVERFULL_COUNT,
            OVERFULL_THREADS, OVERFULL_SLEEP_US);
}

static void *unmapper(void *arg)
{
    (void)arg;
    char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        bh_setup_error("mmap failed");
    while (!atomic_load(&stop_requested)) {
        if (munmap(page, 4096) != 0 ||
            mmap(page, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != page)
            bh_fail("the real-time unmapper's munmap/mmap(MAP_FIXED) failed");
        atomic_fetch_add(&unmapper_cycles, 1);
        rel_sleep_us(UNMAPPER_PAUSE_US); /* lets the participants run */
    }
    atomic_fetch_add(&threads_finished, 1);
    return NULL;
}

/* The monitor: returns once all threads finished (or, with `until_stop`,
 * once it asked them to stop), with the longest time between two completed
 * rounds; fails on a stall of rounds (or, if watched, of the unmapper's
 * cycles). */
static double monitor(int threads, bool watch_unmapper, bool until_stop)
{
    const double started = bh_now();
    double last_round_at = started, last_cycle_at = started, longest_gap = 0;
    long seen_rounds = 0, seen_cycles = 0;
    while (atomic_load(&threads_finished) < threads && !(until_stop && atomic_load(&stop_requested))) {
        rel_sleep_us(10000);
        const double now = bh_now();
        const long rounds = atomic_load(&rounds_completed), cycles = atomic_load(&unmapper_cycles);
        if (rounds != seen_rounds) {
            if (now - last_round_at > longest_gap)
                longest_gap = now - last_round_at;
            last_round_at = now;
            seen_rounds = rounds;
        }
        if (cycles != seen_cycles) {
            last_cycle_at = now;
            seen_cycles = cycles;
        }
        if (now - last_round_at > STALL_SECONDS)
            bh_fail("starvation: no round completed for %.1f s after %ld rounds: a real-time "
                    "waiter keeps the lower-priority participant it waits for from running",
                    STALL_SECONDS, rounds);
        if (watch_unmapper && !atomic_load(&stop_requested) && now - last_cycle_at > STALL_SECONDS)
            bh_fail("starvation: the real-time unmapper made no progress for %.1f s after %ld "
                    "cycles: it waits for exit windows that lower-priority waiters cannot close",
                    STALL_SECONDS, cycles);
        if (!atomic_load(&stop_requested) &&
            ((now - started >= RUN_SECONDS * soak_factor() && rounds >= MIN_ROUNDS) ||
             now - started >= MAX_SECONDS * soak_factor() || rounds >= MAX_ROUNDS * (long)soak_factor()))
            atomic_store(&stop_requested, 1);
    }
    return longest_gap;
}

int main(int argc, char **argv)
{
    const enum sub_case sub_case = rel_sub_case(argc, argv, cases);
    rel_start("setup", 30);
    const int participants = sub_case == PRIVATE_ROUND_ROBIN ? 3 : 2;
    const bool shared =
        sub_case == SHARED_SPINNING || sub_case == SHARED_UNMAPPER || sub_case == SHARED_OVERFULL;
    const bool overfull = sub_case == PRIVATE_OVERFULL || sub_case == SHARED_OVERFULL;
    const int policy = sub_case == PRIVATE_ROUND_ROBIN ? SCHED_RR : SCHED_FIFO;
    const int cpu = first_usable_cpu();

    /* Initialised before anything is pinned: with count <= usable CPUs the
     * shim lets waiters spin first, the phase most likely to starve a peer. */
    barrier = new_barrier(shared, (unsigned)participants);
    round_check_init(&check, (unsigned long long)participants);
    if (sub_case == CONTROL) {
        unbounded_spin_barrier.count = (unsigned)participants;
        barrier_wait = unbounded_spin_wait;
    }

    /* The monitor outranks everything it watches. */
    struct sched_param monitor_param = {.sched_priority = MONITOR_PRIORITY};
    int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &monitor_param);
    if (rc != 0)
        skip("pthread_setschedparam(SCHED_FIFO) for the monitor", rc);

    bh_phase_set("real-time rounds on one CPU");
    pthread_t threads[MAX_PARTICIPANTS + 1];
    if (overfull) {
        for (int i = 0; i < OVERFULL_THREADS; i++)
            start_thread(overfull_participant, SCHED_FIFO, 10 * (OVERFULL_THREADS - i), cpu,
                         i == 0 ? (void *)1 : NULL);
        monitor(OVERFULL_THREADS, false, true);
        finish_overfull(argv[1]); /* exits; a thread left waiting alone goes with the process */
    }
    for (int i = 0; i < participants; i++)
        threads[i] = start_thread(participant, policy, 10 * (participants - i), cpu, NULL);
    int started_threads = participants;
    if (sub_case == SHARED_UNMAPPER)
        threads[started_threads++] = start_thread(unmapper, SCHED_FIFO, UNMAPPER_PRIORITY, cpu, NULL);

    double longest_gap = monitor(started_threads, sub_case == SHARED_UNMAPPER, false);
    for (int i = 0; i < started_threads; i++)
        pthread_join(threads[i], NULL);
    long long rounds = round_check_finish(&check, argv[1]);
    if (rounds < MIN_ROUNDS)
        bh_setup_error("only %lld rounds in %.0f s (want >= %d)", rounds, MAX_SECONDS * soak_factor(),
                       MIN_ROUNDS);
    if (sub_case != CONTROL) {
        int destroyed = pthread_barrier_destroy(barrier);
        if (destroyed != 0)
            bh_fail("destroy after the rounds returned %s", bh_err_name(destroyed));
    }
    bh_pass("%s: %lld rounds, %d %s participants at priorities %d..10 pinned to CPU %d%s; longest "
            "wait for progress %.0f ms", argv[1], rounds, participants,
            policy == SCHED_RR ? "SCHED_RR" : "SCHED_FIFO", 10 * participants, cpu,
            sub_case == SHARED_UNMAPPER ? ", with a FIFO 30 unmapper on the same CPU" : "",
            longest_gap * 1000);
}
