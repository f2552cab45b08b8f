/* Reliability: a million rounds of 2 threads leave memory and descriptors
 * flat.  Every round is checked (round_check.h: the serial waiter exactly
 * once, nobody early, every result 0 or PTHREAD_BARRIER_SERIAL_THREAD), and
 * after the last round the process may hold no more open descriptors than
 * after round 1000, and at most RESIDENT_SLACK_KIB more resident memory.
 * A million rounds take about a second on an idle 2-core machine; on a
 * loaded one the 25 s time bound may end the run first, which passes if at
 * least 200 000 rounds ran (the report says so).  Sub-case: private |
 * shared.  Soak: 10 million rounds, 250 s. */
#include "load_participant.h"

enum { THREADS = 2 };
static const long long ROUNDS = 1000000, MIN_ROUNDS = 200000, WARMUP_ROUND = 1000;
static const double MAX_SECONDS = 25.0;

static struct load_run run;

int main(int argc, char **argv)
{
    bool shared = rel_shared_sub_case(argc, argv);
    rel_start("a million rounds", 40);
    /* Run to the iteration bound: the time bound only keeps a slow run finite. */
    long long rounds = load_threads_run(
        &run, shared, THREADS, 0,
        load_bounds_scaled(ROUNDS, MIN_ROUNDS, MAX_SECONDS, MAX_SECONDS, WARMUP_ROUND), argv[1]);
    bh_pass("%s: %lld rounds of %d threads in %.1f s%s, each checked; resident %ld -> %ld KiB, "
            "descriptors %d -> %d", argv[1], rounds, THREADS, run.seconds,
            rounds < run.bounds.max_rounds ? " (the time bound came first)" : "",
            run.start.resident_kib, run.end.resident_kib, run.start.descriptors,
            run.end.descriptors);
}
