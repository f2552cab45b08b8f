/* Reliability: hundreds of threads on one barrier, on 2 cores.  256 threads
 * pass rounds of one barrier, each round checked (round_check.h: the serial
 * waiter exactly once, nobody early, every result 0 or
 * PTHREAD_BARRIER_SERIAL_THREAD); resident memory and open descriptors after
 * the last round must not exceed those after round 10 (memory: by at most
 * RESIDENT_SLACK_KIB).  Sub-case: private | shared. */
#include "load_participant.h"

enum { THREADS = 256, STACK_BYTES = 64 * 1024 };
static const long long MAX_ROUNDS = 5000, MIN_ROUNDS = 50, WARMUP_ROUND = 10;
static const double RUN_SECONDS = 3.0, MAX_SECONDS = 20.0;

static struct load_run run;

int main(int argc, char **argv)
{
    bool shared = rel_shared_sub_case(argc, argv);
    rel_start("rounds of hundreds of threads", 45);
    long long rounds = load_threads_run(
        &run, shared, THREADS, STACK_BYTES,
        load_bounds_scaled(MAX_ROUNDS, MIN_ROUNDS, RUN_SECONDS, MAX_SECONDS, WARMUP_ROUND), argv[1]);
    bh_pass("%s: %d threads, %lld rounds in %.1f s, each checked; resident %ld -> %ld KiB, "
            "descriptors %d -> %d", argv[1], THREADS, rounds, run.seconds, run.start.resident_kib,
            run.end.resident_kib, run.start.descriptors, run.end.descriptors);
}
