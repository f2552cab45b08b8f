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
 * Prints line_pass_ns=N, or exits 1 without it when fewer than 2 CPUs are
 * usable, when the second thread cannot be pinned, or when the passes
 * outrun their time budget (the two threads sharing one CPU, as when a CPU
 * is taken away: each pass then waits for a preemption, milliseconds). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct passer {
    _Alignas(64) _Atomic long counter;
    long passes;
    int cpus[2];
    double timed_from_ns; /* player 0, after its first kWarmupPasses */
    sem_t pinned;         /* posted by the second thread once it has tried */
    int second_pinned;    /* whether it is on cpus[1] */
};

/* Passes before the clock starts: the second thread's start-up and the
 * first misses are not transfers. */
enum { kWarmupPasses = 100 };

/* The whole run's budget: far passes take about 0.2 us, passes between two
 * threads on one CPU a preemption each (1-4 ms). */
static const double kBudgetBaseS = 0.25, kBudgetPerPassS = 20e-6;

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

/* The second thread starts on the first one's CPU (it inherits its mask);
 * if it cannot move, the two would share that CPU, so it does not play. */
static void *second_player(void *arg)
{
    struct passer *passer = arg;
    passer->second_pinned = pin_to(passer->cpus[1]) == 0;
    sem_post(&passer->pinned);
    if (passer->second_pinned) play(passer, 1);
    return NULL;
}

static void out_of_time(int sig)
{
    (void)sig;
    static const char message[] =
        "bench-placement-probe: the passes outran their budget (the threads share a CPU?)\n";
    (void)!write(2, message, sizeof message - 1);
    _exit(1);
}

/* SIGALRM after the budget for `passes`: the probe fails rather than take
 * minutes to report a meaningless figure. */
static int arm_budget(long passes)
{
    const double budget_s = kBudgetBaseS + kBudgetPerPassS * (double)(passes + kWarmupPasses);
    struct itimerval timer;
    memset(&timer, 0, sizeof timer);
    timer.it_value.tv_sec = (time_t)budget_s;
    timer.it_value.tv_usec = (suseconds_t)((budget_s - (double)(time_t)budget_s) * 1e6);
    return signal(SIGALRM, out_of_time) == SIG_ERR ? -1 : setitimer(ITIMER_REAL, &timer, NULL);
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
    if (sem_init(&passer.pinned, 0, 0) != 0 || arm_budget(passer.passes) != 0) return 1;
    pthread_t other;
    if (pthread_create(&other, NULL, second_player, &passer) != 0) return 1;
    while (sem_wait(&passer.pinned) != 0) {
    }
    if (!passer.second_pinned) {
        pthread_join(other, NULL);
        fprintf(stderr, "bench-placement-probe: cannot pin a thread to CPU %d\n", passer.cpus[1]);
        return 1;
    }
    play(&passer, 0);
    const double elapsed = now_ns() - passer.timed_from_ns;
    pthread_join(other, NULL);
    printf("line_pass_ns=%.1f\n", elapsed / (2.0 * (double)passer.passes));
    return 0;
}
