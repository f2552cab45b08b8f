/* Where the host has placed this VM's two CPUs relative to each other right
 * now, measured as what passing a cache line between them costs: two
 * threads, pinned to the two lowest CPUs this process may run on, take
 * turns incrementing a counter on one cache line (each waits until it sees
 * the other's increment, then makes its own), and the elapsed time over the
 * number of increments is one pass: the line's move to the reader and the
 * invalidation its write then sends back, about what one 2-member spin
 * round costs.
 *
 * On the 2-CPU VM of doc/performance.md a pass takes about 30-55 ns when
 * the two virtual CPUs share a core complex ("close") and 165-190 ns when
 * they do not ("far"), and the host moves them between the two from minute
 * to minute; every 2-member round pays the same, so scripts/bench runs this
 * before each 2-member trial and reports those trials by placement. It
 * measures the two lowest CPUs only, so it speaks for a 2-member trial only
 * on a 2-CPU machine, where that trial's members run on exactly those.
 *
 * Usage: bench-placement-probe [PASSES]   (default 20000)
 * Prints line_pass_ns=N, or exits 1 when fewer than 2 CPUs are usable. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct passer {
    _Alignas(64) _Atomic long counter;
    long passes;
    int cpus[2];
    double timed_from_ns; /* player 0, after its first kWarmupPasses */
};

/* Passes before the clock starts: the second thread's start-up and the
 * first misses are not transfers. */
enum { kWarmupPasses = 100 };

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static int pin_to(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

/* Player `parity` increments the counter whenever it holds a value of its
 * parity, until it has made `passes` increments. No pause between polls: the
 * probe measures the transfer, not the spin loop's step. acquire/release:
 * only the counter itself passes; nothing else is read through it. */
static void play(struct passer *passer, long parity)
{
    for (long made = 0; made < kWarmupPasses + passer->passes; made++) {
        if (parity == 0 && made == kWarmupPasses) passer->timed_from_ns = now_ns();
        long value;
        while (((value = atomic_load_explicit(&passer->counter, memory_order_acquire)) & 1) != parity) {
        }
        atomic_store_explicit(&passer->counter, value + 1, memory_order_release);
    }
}

static void *second_player(void *arg)
{
    struct passer *passer = arg;
    pin_to(passer->cpus[1]); /* unpinned, it still plays: slower, not stuck */
    play(passer, 1);
    return NULL;
}

int main(int argc, char **argv)
{
    static struct passer passer;
    passer.passes = argc > 1 ? atol(argv[1]) : 20000;
    if (passer.passes <= 0) {
        fprintf(stderr, "usage: %s [PASSES]\n", argv[0]);
        return 2;
    }
    cpu_set_t usable;
    if (sched_getaffinity(0, sizeof usable, &usable) != 0) return 1;
    int found = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && found < 2; cpu++) {
        if (CPU_ISSET(cpu, &usable)) passer.cpus[found++] = cpu;
    }
    if (found < 2 || pin_to(passer.cpus[0]) != 0) {
        fprintf(stderr, "bench-placement-probe: needs two usable CPUs\n");
        return 1;
    }
    pthread_t other;
    if (pthread_create(&other, NULL, second_player, &passer) != 0) return 1;
    play(&passer, 0);
    const double elapsed = now_ns() - passer.timed_from_ns;
    pthread_join(other, NULL);
    printf("line_pass_ns=%.1f\n", elapsed / (2.0 * (double)passer.passes));
    return 0;
}
